# nbgrader defaults for DataHub courses; instructors override per course.
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = "/home/jovyan"
c.Exchange.root = "/srv/nbgrader/exchange"
c.ExecutePreprocessor.timeout = 300
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
