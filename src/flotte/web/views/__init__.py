"""Server-rendered pages: community pages and sign-up (accounts), the member
app (member, trip) and what makes it installable (pwa)."""
