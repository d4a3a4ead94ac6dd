"""Domain operations over the database: accounts, ownership, rooms and money, signed change sets, the
work log, tasks and the working-day calendar."""
