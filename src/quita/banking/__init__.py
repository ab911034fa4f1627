"""Bank billing: wallets, boletos, PIX, CNAB remittance and return files."""
