"""`mailyard checklist`: the spec's verification checklist, and the checks teams get wrong."""
