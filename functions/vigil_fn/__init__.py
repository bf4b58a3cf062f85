"""Code shared by Vigil's Function Compute functions (runs on the FC python3.10 runtime)."""
