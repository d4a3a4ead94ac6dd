"""The foundation of the service floor: configuration, operational errors, the process settings,
the service object's storage half and bulk row writing."""
