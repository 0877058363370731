"""Local stand-ins for Okta and Talend Cloud, for tests, benchmarks and `make demo` (loopback only)."""
