"""The IDOR probes of probes_data.py: as one seeded user, read, change or delete what another holds (API.md §1.8
owner and media-owner guards, P6-P8 sessions, P23-P25 progress, P43-P44 the tutor chat).

    idor(run, cast)     every probe below, each resource's deletions last

    idor.progress.{read,write}      the owner's video progress (P24, P23 read; P25 write), by the other student
    idor.reflections.{read,write}   the learner's notes on a video: API.md stores none (`reflectionCount` is always
                                    0), so the owner's tutor chat about the video stands in (P43 read, P44 write)
    idor.media.{read,write,delete}  the instructor's media file (P56; P57, X6, P58; P59), by the other instructor
    idor.courses.{read,edit,publish,duplicate,delete}   the instructor's course (P30, X8, P45; P32, P37, P38,
                                    X2; P34, P35; P36; P39, P33), by the other instructor
    idor.sessions.{list,revoke}     a session of the owner's (P6; P7, P8), by the other student

On a route naming the owner's row, refused = 401/403/404/405 and none of the owner's data (the owner's id, the
row's own strings) in the body. A route keyed by the caller (progress, chat, the sessions list; also sent with the
owner's id as `userId` and `user_id`, where a lax port might take it) answers the caller's own data: there,
refused = none of the owner's. After a write the owner reads the row back: refused also needs it unchanged. The
attacker holds the owner's role (a second student, a second instructor), so only the owner check can stop it.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.http import json_at

from .probes_data_run import Actor, Cast, Run, Seen, code, data, enrolled_video, items, leaked

#: Statuses that turn a request away without doing it (a route a side lacks does nothing either).
REFUSALS = frozenset({401, 403, 404, 405})
#: Keys a read-back may change between two reads by the owner alone.
VOLATILE = frozenset({"last_activity", "lastAccessedAt"})


@dataclass(slots=True)
class Row:
    """One row of the owner's under attack: how the owner reads it back, the strings that betray it."""

    owner: Actor
    template: str
    ids: dict[str, str]
    markers: list[str]
    query: str = ""

    def view(self, run: Run) -> tuple[int, Any]:
        seen = run.request(self.owner, "GET", self.template, query=self.query, **self.ids)
        return seen.reply.status, _stable(data(seen.reply))


@dataclass(slots=True)
class SessionRow(Row):
    """A session of the owner's: alive while its own token still lists it."""

    def view(self, run: Run) -> tuple[int, Any]:
        seen = run.request(self.owner, "GET", "/api/v1/auth/sessions")
        alive = any(item.get("id") == self.owner.session_id for item in items(seen.reply, "sessions"))
        return seen.reply.status, alive


def _stable(document: Any) -> Any:
    """A read-back without what the owner's own reads change (VOLATILE keys)."""
    if isinstance(document, dict):
        return {k: _stable(v) for k, v in document.items() if k not in VOLATILE}
    if isinstance(document, list):
        return [_stable(v) for v in document]
    return document


def spoof(user_id: str) -> str:
    """The owner's id where a lax port might take it from the caller: the query's userId and user_id."""
    return f"?userId={quote(user_id, safe='')}&user_id={quote(user_id, safe='')}"


def judge_read(run: Run, probe: str, seen: Seen, row: Row, *, keyed: bool) -> None:
    found = leaked(seen.reply, row.markers)
    turned = seen.reply.status in REFUSALS or not keyed
    who = f"{seen.sent.method} {seen.sent.path} as a user who does not own it"
    if found:
        detail = f"{who}: {code(seen.reply)} with the owner's data in the body ({', '.join(found)})"
    elif not turned:
        detail = f"{who}: {code(seen.reply)}, not refused with 403/404"
    else:
        detail = f"{who}: {code(seen.reply)}, none of the owner's data"
    run.prove(probe, turned and not found, detail, seen, leaked=found, keyed=keyed)


def judge_write(run: Run, probe: str, row: Row, attack: Callable[[], Seen], *, keyed: bool) -> None:
    """The owner's read-back before and after `attack`: refused = turned away (when keyed), nothing of the owner's
    in the answer, the row unchanged."""
    before = row.view(run)
    if before[0] != 200:
        run.not_run(probe, f"the owner cannot read its own row back ({before[0]})")
        return
    seen = attack()
    after = row.view(run)
    found = leaked(seen.reply, row.markers)
    turned = seen.reply.status in REFUSALS or (not keyed and seen.reply.status < 500)
    faults = []
    if after != before:
        faults.append(f"the owner's row changed (read back: {after[0]})")
    if found:
        faults.append(f"the owner's data in the answer ({', '.join(found)})")
    if not turned:
        faults.append("not refused with 403/404")
    detail = (f"{seen.sent.method} {seen.sent.path} as a user who does not own it: {code(seen.reply)}, "
              + ("; ".join(faults) if faults else "the owner's row unchanged"))
    run.prove(probe, not faults, detail, seen, changed=after != before, leaked=found, keyed=keyed)


def idor(run: Run, cast: Cast) -> None:
    place = enrolled_video(run, cast.owner)
    if place is None:
        for probe in ("idor.progress.read", "idor.progress.write", "idor.reflections.read", "idor.reflections.write"):
            run.not_run(probe, "the owner is enrolled in no course with a video")
    else:
        _progress(run, cast, *place)
        _reflections(run, cast, place[1])
    _media(run, cast)
    _courses(run, cast)
    _sessions(run, cast)


def _progress(run: Run, cast: Cast, course_id: str, video_id: str) -> None:
    owner, other = cast.owner, cast.other
    progress = "/api/v1/student/videos/{video_id}/progress"
    run.request(owner, "PUT", progress, {"watchedSeconds": 4321, "lastPosition": 4321}, video_id=video_id)
    row = Row(owner, progress, {"video_id": video_id}, [owner.user_id, owner.email])
    course = ("/api/v1/student/courses/{course_id}/progress", {"course_id": course_id}, spoof(owner.user_id))
    for template, ids, query in ((progress, row.ids, ""), (progress, row.ids, spoof(owner.user_id)), course):
        judge_read(run, "idor.progress.read", run.request(other, "GET", template, query=query, **ids), row,
                   keyed=False)
    body = {"watchedSeconds": 1, "lastPosition": 1, "userId": owner.user_id, "user_id": owner.user_id}
    judge_write(run, "idor.progress.write", row, lambda: run.request(
        other, "PUT", progress, body, query=spoof(owner.user_id), video_id=video_id), keyed=False)


def _reflections(run: Run, cast: Cast, video_id: str) -> None:
    owner, other = cast.owner, cast.other
    chat = "/api/v1/ai/videos/{video_id}/chat"
    note = f"data probe reflection {secrets.token_hex(6)}"
    posted = run.request(owner, "POST", chat, {"message": note}, video_id=video_id)
    session = data(posted.reply).get("sessionId")
    if not isinstance(session, str) or not session:
        for probe in ("idor.reflections.read", "idor.reflections.write"):
            run.not_run(probe, f"the owner's chat message was not taken ({code(posted.reply)})")
        return
    query = f"?sessionId={quote(session, safe='')}"
    row = Row(owner, chat, {"video_id": video_id}, [owner.user_id, note], query)
    for extra in ("", "&" + spoof(owner.user_id)[1:]):
        judge_read(run, "idor.reflections.read", run.request(other, "GET", chat, query=query + extra,
                                                             video_id=video_id), row, keyed=False)
    judge_write(run, "idor.reflections.write", row, lambda: run.request(
        other, "POST", chat, {"message": "data probe: not the owner", "sessionId": session}, video_id=video_id),
        keyed=False)


def _owned_media(run: Run, owner: Actor) -> dict[str, Any] | None:
    """One of the owner's media files (one in a course first); uploaded through P53/P54 when it has none."""
    files = items(run.request(owner, "GET", "/api/v1/media/user/media").reply, "mediaFiles")
    if files:
        return next((f for f in files if f.get("courseId")), files[0])
    started = run.request(owner, "POST", "/api/v1/media/upload/initiate",
                          {"filename": "data-probe.mp4", "fileSize": 1024, "contentType": "video/mp4"})
    key = data(started.reply).get("sessionKey")
    done = run.request(owner, "POST", "/api/v1/media/upload/complete", {"sessionKey": key}) if key else started
    media_id = data(done.reply).get("mediaFileId")
    return {"id": media_id, "storageKey": data(done.reply).get("storageKey")} if media_id else None


def _own_video(run: Run, actor: Actor) -> str | None:
    """A video of one of `actor`'s own courses."""
    for course in items(run.request(actor, "GET", "/api/v1/instructor/courses").reply, "courses"):
        detail = run.request(actor, "GET", "/api/v1/instructor/courses/{course_id}", course_id=str(course.get("id")))
        video = next(iter(items(detail.reply, "videos")), None)
        if video is not None:
            return str(video.get("id"))
    return None


def _media(run: Run, cast: Cast) -> None:
    owner, other = cast.instructor, cast.other_instructor
    media = _owned_media(run, owner)
    if media is None:
        for probe in ("idor.media.read", "idor.media.write", "idor.media.delete"):
            run.not_run(probe, "the instructor has no media file and could not upload one")
        return
    one = "/api/v1/media/media/{media_file_id}"
    ids = {"media_file_id": str(media["id"])}
    row = Row(owner, one, ids, [owner.user_id, str(media.get("storageKey") or "")])
    judge_read(run, "idor.media.read", run.request(other, "GET", one, **ids), row, keyed=True)
    video = _own_video(run, other)
    writes: list[tuple[str, str, str, Any]] = [
        ("idor.media.write", "POST", one + "/process", None),
        ("idor.media.write", "POST", "/api/v1/content/media/{media_file_id}/unassign", None)]
    if video is None:
        run.not_run("idor.media.write", "the other instructor has no video to attach the media to")
    else:
        writes.append(("idor.media.write", "POST", one + "/attach-video", {"videoId": video}))
    writes.append(("idor.media.delete", "DELETE", one, None))
    for probe, method, template, body in writes:
        judge_write(run, probe, row, lambda m=method, t=template, b=body: run.request(other, m, t, b, **ids),
                    keyed=True)


def _owned_course(run: Run, owner: Actor) -> dict[str, Any] | None:
    """One of the owner's courses, one with a video and not published first (so a publish would show)."""
    courses = items(run.request(owner, "GET", "/api/v1/instructor/courses").reply, "courses")
    ranked = sorted(courses, key=lambda c: (not json_at(c, "stats.videoCount"), c.get("status") == "published"))
    return ranked[0] if ranked else None


def _courses(run: Run, cast: Cast) -> None:
    owner, other = cast.instructor, cast.other_instructor
    course = _owned_course(run, owner)
    if course is None:
        for name in ("read", "edit", "publish", "duplicate", "delete"):
            run.not_run(f"idor.courses.{name}", "the instructor has no course")
        return
    one = "/api/v1/instructor/courses/{course_id}"
    ids = {"course_id": str(course.get("id"))}
    row = Row(owner, one, ids, [owner.user_id, str(course.get("title") or "")])
    for template in (one, "/api/v1/content/courses/{course_id}/media",
                     "/api/v1/ai/courses/{course_id}/analyze-engagement"):
        judge_read(run, "idor.courses.read", run.request(other, "GET", template, **ids), row, keyed=True)
    video = next(iter(items(run.request(owner, "GET", one, **ids).reply, "videos")), None)
    vid = {"video_id": str(video.get("id"))} if video else {}
    attacks: list[tuple[str, str, str, Any, dict[str, str]]] = [
        ("edit", "PUT", one, {"title": "data probe: not the owner"}, ids),
        ("publish", "POST", one + "/publish", None, ids),
        ("publish", "POST", one + "/unpublish", None, ids),
        ("duplicate", "POST", one + "/duplicate", None, ids),
        ("edit", "POST", one + "/videos", {"title": "data probe", "videoUrl": "https://cdn.example/probe.mp4"}, ids),
        ("edit", "POST", "/api/v1/content/courses/{course_id}/sections", {"title": "data probe"}, ids)]
    if vid:
        one_video = "/api/v1/instructor/videos/{video_id}"
        attacks += [("edit", "PUT", one_video, {"title": "data probe: not the owner"}, vid),
                    ("delete", "DELETE", one_video, None, vid)]
    else:
        run.not_run("idor.courses.edit", "the instructor's course has no video to edit or delete")
    attacks.append(("delete", "DELETE", one, None, ids))
    for name, method, template, body, where in attacks:
        judge_write(run, f"idor.courses.{name}", row,
                    lambda m=method, t=template, b=body, w=where: run.request(other, m, t, b, **w), keyed=True)


def _sessions(run: Run, cast: Cast) -> None:
    """A fresh session of the owner's (its id from the login), listed, revoked and revoked-all by the other
    student; a new one for each write, so each is judged alone."""
    def victim() -> SessionRow:
        session = run.log_in(cast.owner.account, "owner")
        return SessionRow(session, "/api/v1/auth/sessions", {}, [session.session_id, session.token])

    other, row = cast.other, victim()
    if row.view(run) != (200, True):
        for probe in ("idor.sessions.list", "idor.sessions.revoke"):
            run.not_run(probe, "the owner's session list does not show the session its login named")
        return
    judge_read(run, "idor.sessions.list",
               run.request(other, "GET", "/api/v1/auth/sessions", query=spoof(row.owner.user_id)), row, keyed=False)
    judge_write(run, "idor.sessions.revoke", row, lambda: run.request(
        other, "DELETE", "/api/v1/auth/sessions/{session_id}", session_id=row.owner.session_id), keyed=True)
    row = victim()
    body = {"user_id": row.owner.user_id, "userId": row.owner.user_id}
    judge_write(run, "idor.sessions.revoke", row, lambda: run.request(
        other, "POST", "/api/v1/auth/sessions/revoke-all", body, query=spoof(row.owner.user_id)), keyed=False)
