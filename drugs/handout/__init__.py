"""The nurse's handout: form, calendar, what to do, shortened entries, the sheet, the .ics and views."""
