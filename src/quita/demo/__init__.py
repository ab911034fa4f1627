"""The demo ISP: `quita demo` builds two entities, a few hundred customers and a year of billing history."""
