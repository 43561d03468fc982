"""Files for people: spreadsheets, CSV and JSON (``sheets.writers``)."""
