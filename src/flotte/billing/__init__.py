"""Invoices and credit notes: drafted at the end of a booking, numbered
without gaps per organisation, rendered as PDF and Factur-X."""
