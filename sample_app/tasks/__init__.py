"""Background programs run next to the web app (under supervisor)."""
