"""PIX: the BR Code (EMV "copia e cola") and the PixProvider interface for charges with due date (cobv)."""
