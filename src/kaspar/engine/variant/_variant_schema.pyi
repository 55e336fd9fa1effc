from typing import Any

def schemas(
    data: Any,
    offsets: Any,
    validity: Any | None,
    list_offsets: Any,
    list_validity: Any | None,
    array_offset: int,
    length: int,
    /,
) -> tuple[bytes, bytes, bytes, int] | None: ...
