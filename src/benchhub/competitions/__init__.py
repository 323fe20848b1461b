"""Hosted benchmarks: phases, submissions, the scoring queue and its workers, boards, released inputs."""
