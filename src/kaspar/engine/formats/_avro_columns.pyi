from typing import Any

def decode(
    program: list[tuple[int, int, int, int, int, tuple[bytes, ...] | None]],
    data: Any,
    offsets: Any,
    offset_width: int,
    validity: Any | None,
    array_offset: int,
    length: int,
    framed: bool,
    ids: tuple[int, ...],
    /,
) -> list[tuple[int, int, Any, Any, Any, Any, Any, Any]] | int | None: ...
