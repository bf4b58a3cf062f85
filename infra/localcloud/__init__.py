"""localcloud: OSS, STS, RAM and a Function Compute runtime on one machine, speaking the real protocols."""
