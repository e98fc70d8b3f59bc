"""The fault and bad-input matrix (README: "Security and failure behaviour")."""
