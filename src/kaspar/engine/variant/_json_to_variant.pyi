from typing import Any

def encode(
    data: Any, offsets: Any, validity: Any | None, array_offset: int, length: int, /
) -> tuple[bytes, bytes, bytes, int, int]: ...
