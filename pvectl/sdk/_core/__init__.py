"""Hand-written SDK runtime: request building, validation, transport, tasks. Imports no generated code."""
