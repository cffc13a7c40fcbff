"""The patient pages: views, one presenter per page, and what they share."""
