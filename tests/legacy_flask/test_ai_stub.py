"""The deterministic AI stand-in (the `ai_stub` package): pure functions of their inputs, one copy that
both bundled apps answer from, so a conversation started on one reads the same on the other."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ai_stub

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APPS = ("legacy_flask", "reference_django")
#: The modules of each app that build AI answers, and so must take them from the shared stub.
STUB_USERS = ("legacy_flask/resources/ai.py", "reference_django/ai/apis.py", "reference_django/ai/selectors.py",
              "reference_django/ai/services.py")


@pytest.fixture
def stub():
    """The stub under test, as the tests of each feature name it."""
    return ai_stub


def test_digest_is_the_same_in_every_process(stub):
    code = "import ai_stub as stub; print(stub.digest('topic', 3))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"}, cwd=PROJECT_ROOT).stdout.strip()
    assert other == str(stub.digest("topic", 3))


@pytest.mark.parametrize("message,intent", [
    ("Quiz me on closures", "quiz"), ("Can you summarize this?", "summary"), ("Show me an example", "example"),
    ("Why does this loop stop?", "clarification"), ("explain generators", "clarification"), ("Thanks!", "general"),
])
def test_detect_intent(stub, message, intent):
    assert stub.detect_intent(message) == intent


def test_chat_reply_depends_on_its_inputs_only(stub):
    kw = {"intent": "clarification", "video_title": "Loops", "course_title": "Python 101",
          "context": {"startTime": 65, "endTime": 90, "content": "for loops"}}
    reply = stub.chat_reply("Why?", **kw)
    assert reply == stub.chat_reply("Why?", **kw)
    assert "Loops" in reply and "1:05" in reply and "for loops" in reply
    assert reply != stub.chat_reply("Why?", **{**kw, "video_title": "Functions"})


@pytest.mark.parametrize("level,hours", [("beginner", None), ("intermediate", 1.5), ("advanced", 12)])
def test_outline_lessons_add_up_to_the_estimate(stub, level, hours):
    outline = stub.course_outline("Data Science", level=level, duration_hours=hours)
    lessons = [lesson for m in outline["modules"] for lesson in m["lessons"]]
    assert outline["estimatedDuration"] == sum(lesson["duration"] for lesson in lessons)
    titles = [m["title"] for m in outline["modules"]]
    assert 2 <= len(titles) <= 8 and len(set(titles)) == len(titles)
    assert outline == stub.course_outline("Data Science", level=level, duration_hours=hours)


FACTS = dict(title="T", description="d" * 300, short_description="s", has_thumbnail=True, tags=3,
             learning_outcomes=3, prerequisites=1, target_audience=1, video_count=8, preview_count=1,
             videos_without_quiz=0, videos_without_description=0, total_video_seconds=8 * 600, rating=4.8,
             rating_count=10)


def facts(stub, **kw):
    return stub.CourseFacts(**{**FACTS, **kw})


def test_improvements_report_findings_and_are_topped_up_with_tips(stub):
    empty = stub.course_improvements(facts(stub, video_count=0, preview_count=0, total_video_seconds=0, tags=0))
    assert any("first video" in r for r in empty) and any("tags" in r for r in empty)
    polished = stub.course_improvements(facts(stub))
    assert len(polished) == 3 and polished == stub.course_improvements(facts(stub))
    assert len(stub.course_improvements(facts(stub, description="", short_description="", has_thumbnail=False, tags=0,
                                              learning_outcomes=0, prerequisites=0, target_audience=0),
                                        limit=4)) == 4


def test_engagement_insights_without_students(stub):
    insights, areas = stub.engagement_insights(
        {"enrollments": 0, "activeStudents": 0, "completionRate": 0.0, "avgProgress": 0.0}, [], 3)
    assert insights and areas


# --- answers over a spread of inputs, and where they come from ------------------------------------------

MESSAGES = ["Quiz me on closures", "Can you summarize this?", "Show me an example", "Why does this loop stop?",
            "Thanks!", "tl;dr", "  spaced   out  words  ", "é ü — unicode?", "x" * 200, ""]
CONTEXTS = [None, {}, {"startTime": 65, "endTime": 90, "content": "for loops"},
            {"startTime": 3.7, "endTime": 3725.2, "content": "long " * 40, "segmentId": "s1"},
            {"startTime": 0, "endTime": 0, "content": ""}]
OUTLINES = [("Data Science", {}), ("  Rust   async ", {"level": "advanced", "duration_hours": 3}),
            ("Knitting", {"level": "intermediate", "duration_hours": 0.1, "target_audience": "  crafters "}),
            ("Go", {"level": "beginner", "duration_hours": 500, "learning_goals": ["a", "  b  c ", "", " "] * 3}),
            ("SQL", {"duration_hours": 1.5, "target_audience": "   ", "learning_goals": ["one"]})]
METRICS = [({"enrollments": 0, "activeStudents": 0, "completionRate": 0.0, "avgProgress": 0.0}, [], 3),
           ({"enrollments": 7, "activeStudents": 2, "completionRate": 14.29, "avgProgress": 33.333}, [
               {"videoId": "v1", "title": "Intro", "timestamp": 12, "dropOffRate": 71.43},
               {"videoId": "v2", "title": "Next", "timestamp": 0, "dropOffRate": 71.43}], 4),
           ({"enrollments": 4, "activeStudents": 4, "completionRate": 75.0, "avgProgress": 80.0}, [], 9)]
FACT_VARIANTS = [{}, {"video_count": 0, "preview_count": 0, "total_video_seconds": 0, "tags": 0},
                 {"video_count": 2, "preview_count": 0, "videos_without_quiz": 2, "videos_without_description": 1,
                  "total_video_seconds": 2 * 1500, "description": "", "short_description": "",
                  "has_thumbnail": False, "rating": 3.25, "rating_count": 4},
                 {"title": "Another title", "learning_outcomes": 0, "prerequisites": 0, "target_audience": 0}]


def _answers(stub) -> list:
    """Every stub function over a spread of inputs (edge cases included)."""
    out: list = [stub.LEVELS, [stub.digest("a", 1, None), stub.estimate_tokens("abc", "", "x" * 9)]]
    for message in MESSAGES:
        intent = stub.detect_intent(message)
        out.append(intent)
        for context in CONTEXTS:
            for forced in dict.fromkeys((intent, "general", "summary")):
                out.append(stub.chat_reply(message, intent=forced, video_title="Loops", course_title="Py 101",
                                           context=context))
    out += [stub.course_outline(topic, **kw) for topic, kw in OUTLINES]
    out += [stub.course_improvements(facts(stub, **kw), limit=limit) for kw in FACT_VARIANTS for limit in (2, 6)]
    out += [stub.engagement_insights(*args) for args in METRICS]
    out += [stub.enrolled_reason("C", pct) for pct in (0.0, 0.4, 49.5, 99.99, 100.0, 120.0)]
    out += [stub.recommended_reason("C", reason) for reason in ("", "  ", " Because. ")]
    return out


def test_every_answer_is_the_same_in_another_process(stub):
    code = ("import importlib.util, ai_stub; "
            f"spec = importlib.util.spec_from_file_location('answers', {str(Path(__file__))!r}); "
            "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
            "print(repr(module._answers(ai_stub)))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"}, cwd=PROJECT_ROOT).stdout.strip()
    assert other == repr(_answers(stub))


def _imported_modules(path: Path) -> set[str]:
    """The absolute module names `path` imports (relative imports stay within its own package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}


def _top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_the_stub_imports_neither_app():
    for path in (PROJECT_ROOT / "ai_stub").rglob("*.py"):
        assert not _top_level(_imported_modules(path)) & set(APPS), path


@pytest.mark.parametrize("relative", STUB_USERS)
def test_each_app_answers_from_the_shared_stub(relative):
    assert "ai_stub" in _imported_modules(PROJECT_ROOT / relative)


@pytest.mark.parametrize("app", APPS)
def test_no_app_keeps_a_copy_of_the_stub(app):
    features = set(ai_stub.__all__) - {"LEVELS", "digest", "pick"}  # the hash helpers' names are too generic
    for path in (PROJECT_ROOT / app).rglob("*.py"):
        defined = {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert not defined & features, path
