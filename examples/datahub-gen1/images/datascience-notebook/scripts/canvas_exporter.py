#!/usr/bin/env python3
"""Exports nbgrader grades as a CSV that Canvas can import.

    canvas_exporter GRADEBOOK.db ROSTER.csv > grades.csv
"""
import csv
import sqlite3
import sys


def main(gradebook, roster):
    students = {}
    with open(roster, newline="") as f:
        for row in csv.DictReader(f):
            students[row["SIS User ID"]] = row
    db = sqlite3.connect(gradebook)
    scores = db.execute(
        "SELECT student.id, assignment.name, SUM(grade.auto_score) "
        "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id "
        "JOIN assignment ON submitted_assignment.assignment_id = assignment.id "
        "GROUP BY student.id, assignment.name")
    out = csv.writer(sys.stdout)
    out.writerow(["Student", "SIS User ID", "Assignment", "Score"])
    for student_id, assignment, score in scores:
        name = students.get(student_id, {}).get("Student", "")
        out.writerow([name, student_id, assignment, score or 0])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
