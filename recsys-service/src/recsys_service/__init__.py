"""recsys-service: serves precomputed movie neighbours from Redis."""
