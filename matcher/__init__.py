"""matcher: suggestions of concrete offers for citizens in Copenhagen's job-from-day-one programme."""

__version__ = "0.1.0"
