"""CNAB 240 and 400: layouts as data (field, position, length, type), one writer and one reader over them."""
