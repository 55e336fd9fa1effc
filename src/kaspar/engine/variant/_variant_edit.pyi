from typing import Any

def edit(
    data: Any,
    offsets: Any,
    validity: Any | None,
    array_offset: int,
    length: int,
    path: tuple[str | int, ...] | None,
    strip: bool,
    strip_arrays: bool,
    appended: tuple[Any, Any, Any | None] | None,
    mode: int,
    create: bool,
    /,
) -> tuple[bytes, bytes, bytes, int, int, int] | None: ...
def explode(
    data: Any, offsets: Any, validity: Any | None, array_offset: int, length: int, /
) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes] | None: ...
