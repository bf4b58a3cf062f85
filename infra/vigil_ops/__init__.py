"""The operator CLI `vigil`: run localcloud, provision devices, issue operator tokens, manage the index."""
