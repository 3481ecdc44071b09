"""Output: tables (CSV), plots (matplotlib, imported only here) and HTML reports."""
