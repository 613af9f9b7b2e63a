"""The documented seeded accounts (README "Seeded accounts"). Same on every scale and seed."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Account:
    key: str
    email: str
    password: str
    full_name: str
    roles: tuple[str, ...]


ADMIN = Account("admin", "admin@unpuzzle.test", "Admin123!", "Ada Admin", ("admin",))
INSTRUCTOR = Account("instructor", "instructor@unpuzzle.test", "Instructor123!", "Ian Instructor", ("instructor",))
INSTRUCTOR2 = Account("instructor2", "instructor2@unpuzzle.test", "Instructor123!", "Iris Instructor", ("instructor",))
STUDENT = Account("student", "student@unpuzzle.test", "Student123!", "Sam Student", ("student",))
STUDENT2 = Account("student2", "student2@unpuzzle.test", "Student123!", "Sue Student", ("student",))

DOCUMENTED: tuple[Account, ...] = (ADMIN, INSTRUCTOR, INSTRUCTOR2, STUDENT, STUDENT2)
INSTRUCTORS: tuple[Account, ...] = (INSTRUCTOR, INSTRUCTOR2)
STUDENTS: tuple[Account, ...] = (STUDENT, STUDENT2)

#: The password of every generated (undocumented) user.
GENERATED_PASSWORD = "Password123!"
