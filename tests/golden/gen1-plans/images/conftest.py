# fixtures
