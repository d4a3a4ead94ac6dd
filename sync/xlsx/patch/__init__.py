"""Write into a user's workbook by editing only the zip parts that must change.

A rep's workbook is theirs: pictures, charts, comments, validation, conditional formats, other
sheets and anything salesync does not understand must come back exactly as they were. So nothing
here loads a workbook into a spreadsheet library and saves it again. The few parts a write needs
(a sheet's XML, its comments and their VML shapes, ``xl/styles.xml``, relationships, content types,
the hidden stamp sheet) are edited as byte ranges located by a streaming XML parser; every other
zip member is copied as stored, compressed bytes included, in the same order.

When a workbook holds something these edits cannot handle safely, :class:`Unsupported` says why
(in words for the author) and nothing is written.
"""

from sync.core.errors import SalesyncError


class Unsupported(SalesyncError):
    """此工作簿含有 salesync 无法安全写入的内容，未在文件中写入标记："""
