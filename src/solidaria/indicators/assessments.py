"""Writes of assessments: open, fill in, attach evidence, submit, review, sign off, publish.

Each function checks a named rule, runs in one transaction, locks the assessment row and
writes an audit event `indicators.assessment.<verb>`. From submission on, every change
also adds an append-only `AssessmentVersion` with the answers and facts as they became.

Answers are text keyed by code: for an ECG catalogue, an aspect's estimation (a decimal,
0..10 for a positive aspect, -200..0 for a negative one); for a questionnaire, the answer
to a question or indicator (and `<code>d|h|a` for its split by gender).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, ValidationFailed
from solidaria.core.models import Visibility
from solidaria.core.permissions import (
    SYSTEM,
    allowed,
    is_member,
    is_steward,
    require,
)
from solidaria.indicators import catalogues, company_facts
from solidaria.indicators.engine import ecg
from solidaria.indicators.engine.catalogue import (
    GENDER_SUFFIXES,
    Catalogue,
    CatalogueError,
    EcgCatalogue,
    catalogue_from_dict,
)
from solidaria.indicators.models import (
    Assessment,
    AssessmentVersion,
    CustomCatalogue,
    Evidence,
    ExternalAuditor,
    Review,
)

MIN_REVIEWS = 2
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# the first bytes of the binary types, so that a renamed file is refused
MAGIC = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
MAX_ANSWER = 2000
MAX_PLACES = 4  # decimal places of an estimation or a fact

# ---------------------------------------------------------------- catalogues and roles


def catalogue_choices() -> list[tuple[str, str]]:
    shipped = [(key, catalogues.load(key).title) for key in catalogues.SHIPPED]
    own = [(c.key, c.title) for c in CustomCatalogue.objects.all()]
    return shipped + own


def catalogue_of(key: str) -> Catalogue:
    if key in catalogues.SHIPPED:
        return catalogues.load(key)
    found = CustomCatalogue.objects.filter(key=key).first()
    if found is None:
        raise ValidationFailed(_("Choose a catalogue of the list."), field="catalogue")
    return catalogue_from_dict(found.document)


def catalogue_import(*, actor: Any, raw: bytes) -> CustomCatalogue:
    """A network's own catalogue from JSON; a bad entry is named in the error."""
    require(actor, "indicators.catalogue.import")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            _("The file is not JSON in UTF-8: %(error)s") % {"error": exc}, field="file"
        ) from None
    try:
        parsed = catalogue_from_dict(document)
    except CatalogueError as exc:
        raise ValidationFailed(
            _("The catalogue does not validate: %(error)s") % {"error": exc}, field="file"
        ) from None
    if parsed.kind == "network":
        raise ValidationFailed(
            _("A network indicators catalogue cannot be used for assessments."), field="file"
        )
    key = f"{parsed.id}-{parsed.version}"
    if key in catalogues.SHIPPED or CustomCatalogue.objects.filter(key=key).exists():
        raise Conflict(_("A catalogue %(key)s exists already.") % {"key": key})
    with transaction.atomic():
        found = CustomCatalogue.objects.create(
            key=key, title=parsed.title, kind=parsed.kind, document=document, imported_by=actor
        )
        audit.record(actor=actor, verb="indicators.catalogue.import", obj=found, data={"key": key})
    return found


def is_external_auditor(user: Any) -> bool:
    return ExternalAuditor.objects.filter(user_id=user.pk, withdrawn_at=None).exists()


def auditors() -> list[Any]:
    return [
        r.user for r in ExternalAuditor.objects.filter(withdrawn_at=None).select_related("user")
    ]


def auditor_grant(*, actor: Any, user: Any, reason: str) -> ExternalAuditor:
    require(actor, "indicators.auditor.grant")
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why."), field="reason")
    if is_external_auditor(user):
        raise Conflict(_("This person is an external auditor already."))
    with transaction.atomic():
        role = ExternalAuditor.objects.create(user=user, reason=reason.strip(), granted_by=actor)
        audit.record(actor=actor, verb="indicators.auditor.grant", obj=role, reason=reason, data={})
    return role


def may_read(actor: Any, assessment: Any) -> bool:
    """Published: by its visibility. Otherwise its operators, stewards, auditors and,
    once submitted, members who run another organisation (its possible reviewers)."""
    if assessment is None:
        return False
    if assessment.status == Assessment.Status.PUBLISHED:
        return assessment.visibility == Visibility.PUBLIC or is_member(actor)
    if actor is SYSTEM:
        return True
    if not is_member(actor):
        return False
    if is_steward(actor) or is_external_auditor(actor):
        return assessment.status != Assessment.Status.DRAFT or allowed(
            actor, "indicators.assessment.edit", assessment
        )
    if allowed(actor, "indicators.assessment.edit", assessment):
        return True
    return assessment.status == Assessment.Status.SUBMITTED and bool(
        reviewer_organisations(actor, assessment)
    )


def reviewer_organisations(actor: Any, assessment: Assessment) -> list[Any]:
    """The organisations `actor` runs that may review `assessment` (not its own)."""
    from solidaria.directory.operators import organisations_run_by

    return [o for o in organisations_run_by(actor) if o.pk != assessment.organisation_id]


# ---------------------------------------------------------------- helpers


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().get(pk=assessment.pk)


def _version(assessment: Assessment, verb: str, actor: Any) -> None:
    last = assessment.versions.order_by("-number").values_list("number", flat=True).first()
    AssessmentVersion.objects.create(
        assessment=assessment,
        number=(last or 0) + 1,
        verb=verb,
        status=assessment.status,
        answers=assessment.answers,
        facts=assessment.facts,
        actor=None if actor is SYSTEM else actor,
    )


def _changed(assessment: Assessment, verb: str, actor: Any, data: dict[str, Any]) -> None:
    if assessment.status != Assessment.Status.DRAFT:
        _version(assessment, verb, actor)
    audit.record(actor=actor, verb=verb, obj=assessment, data=data)


def _editable(assessment: Assessment) -> None:
    if assessment.status not in (Assessment.Status.DRAFT, Assessment.Status.SUBMITTED):
        raise Conflict(_("This assessment is signed off: it cannot be changed any more."))


def _decimal(text: str, code: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed(
            _("%(code)s: write a number, such as 7 or 7.5.") % {"code": code}, field=code
        ) from None
    if not value.is_finite():
        raise ValidationFailed(_("%(code)s: write a number.") % {"code": code}, field=code)
    if not value:
        return Decimal(0)  # "0E-999999" is 0, not a fraction with a huge denominator
    if value.as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]
        raise ValidationFailed(
            _("%(code)s: at most %(n)s decimal places.") % {"code": code, "n": MAX_PLACES},
            field=code,
        )
    return value


def check_answers(cat: Catalogue, answers: dict[str, str]) -> dict[str, str]:
    """The answers cleaned (blank ones dropped); an unknown code or a value out of range
    is refused, naming the code."""
    clean: dict[str, str] = {}
    if isinstance(cat, EcgCatalogue):
        aspects = {a.code: a for t in cat.topics for a in t.aspects}
        for code, raw in answers.items():
            if code not in aspects:
                raise ValidationFailed(_("%(code)s is not an aspect.") % {"code": code})
            if not (raw or "").strip():
                continue
            value = _decimal(raw, code)
            low, high = (0, 10) if aspects[code].is_positive else (-200, 0)
            if not low <= value <= high:
                raise ValidationFailed(
                    _("%(code)s: the estimation is between %(low)s and %(high)s.")
                    % {"code": code, "low": low, "high": high},
                    field=code,
                )
            clean[code] = str(value)
        return clean
    known = set()
    for item in cat.items():  # type: ignore[union-attr]
        known.add(item.code)
        if item.split_by_gender:
            known.update(item.code + s for s in GENDER_SUFFIXES)
    for code, raw in answers.items():
        if code not in known:
            raise ValidationFailed(_("%(code)s is not a question.") % {"code": code})
        text = (raw or "").strip()
        if len(text) > MAX_ANSWER:
            raise ValidationFailed(
                _("%(code)s: at most %(n)s characters.") % {"code": code, "n": MAX_ANSWER},
                field=code,
            )
        if text:
            clean[code] = text
    return clean


def check_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The company facts checked (`company_facts.clean`: the sentence names row and field)."""
    return company_facts.clean(facts)


# ---------------------------------------------------------------- the ECG computation


def ecg_balance(assessment: Assessment, answers: dict[str, str] | None = None) -> ecg.Balance:
    """The exact ECG points of the assessment (or of `answers`, e.g. a peer's proposal)."""
    cat = catalogue_of(assessment.catalogue_key)
    assert isinstance(cat, EcgCatalogue)
    facts = company_facts.to_engine(assessment.facts)
    given = assessment.answers if answers is None else answers
    inputs = [
        ecg.RatingInput(code=code, estimation=Fraction(Decimal(value)))
        for code, value in given.items()
    ]
    tables = catalogues.ecg_tables(cat.regions_table, cat.industries_table)
    return ecg.compute_balance(cat.topics, inputs, facts, tables)


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def result_of(assessment: Assessment) -> dict[str, Any]:
    """What is kept at sign-off: ECG points per topic and the total (exact fractions)."""
    if assessment.catalogue_kind != "ecg":
        return {"answered": len(assessment.answers)}
    balance = ecg_balance(assessment)
    return {
        "engine": balance.engine_version,
        "total": _fraction(balance.total),
        "topics": {
            t.code: {"points": _fraction(t.points), "max": _fraction(t.max_points)}
            for t in balance.topics
        },
    }


# ---------------------------------------------------------------- the use cases


def assessment_open(*, actor: Any, organisation: Any, year: int, catalogue_key: str) -> Assessment:
    require(actor, "indicators.assessment.edit", organisation)
    cat = catalogue_of(catalogue_key)
    if not 2000 <= year <= timezone.now().year + 1:
        raise ValidationFailed(_("Choose a year from 2000 to next year."), field="year")
    try:
        with transaction.atomic():
            found = Assessment.objects.create(
                organisation=organisation,
                year=year,
                catalogue_key=catalogue_key,
                catalogue_kind=cat.kind,
                opened_by=actor,
            )
            audit.record(
                actor=actor,
                verb="indicators.assessment.open",
                obj=found,
                data={"year": year, "catalogue": catalogue_key},
            )
    except IntegrityError:
        raise Conflict(
            _("This organisation has an assessment of that year in that catalogue already.")
        ) from None
    return found


def answers_save(*, actor: Any, assessment: Assessment, answers: dict[str, str]) -> Assessment:
    """Save the answers of one topic or section (others are kept)."""
    require(actor, "indicators.assessment.edit", assessment)
    clean = check_answers(catalogue_of(assessment.catalogue_key), answers)
    with transaction.atomic():
        found = _locked(assessment)
        _editable(found)
        merged = {k: v for k, v in found.answers.items() if k not in answers}
        merged.update(clean)
        if merged == found.answers:
            return found
        found.answers = merged
        found.save(update_fields=["answers", "updated_at"])
        _changed(found, "indicators.assessment.answer", actor, {"codes": sorted(answers)})
    return found


def facts_save(*, actor: Any, assessment: Assessment, facts: dict[str, Any]) -> Assessment:
    require(actor, "indicators.assessment.edit", assessment)
    if assessment.catalogue_kind != "ecg":
        raise Conflict(_("Only an ECG balance has company facts."))
    clean = check_facts(facts)
    with transaction.atomic():
        found = _locked(assessment)
        _editable(found)
        if clean == found.facts:
            return found
        found.facts = clean
        found.save(update_fields=["facts", "updated_at"])
        _changed(found, "indicators.assessment.facts", actor, {})
    return found


def evidence_add(
    *,
    actor: Any,
    assessment: Assessment,
    code: str,
    link: str = "",
    file: UploadedFile | None = None,
    note: str = "",
) -> Evidence:
    require(actor, "indicators.assessment.edit", assessment)
    cat = catalogue_of(assessment.catalogue_key)
    codes = (
        {c for t in cat.topics for c in [t.code, *(a.code for a in t.aspects)]}
        if isinstance(cat, EcgCatalogue)
        else {i.code for i in cat.items()}  # type: ignore[union-attr]
    )
    if code not in codes:
        raise ValidationFailed(_("Choose a topic, aspect or question."), field="code")
    if bool(link) == bool(file):
        raise ValidationFailed(_("Give either a link or a file."), field="link")
    if file is not None:
        name = (file.name or "").lower()
        suffix = name[name.rfind(".") :] if "." in name else ""
        if suffix not in EVIDENCE_TYPES:
            raise ValidationFailed(
                _("Attach a file of one of these types: %(types)s.")
                % {"types": ", ".join(sorted(EVIDENCE_TYPES))},
                field="file",
            )
        if (file.size or 0) > MAX_EVIDENCE_BYTES:
            raise ValidationFailed(_("A file is at most 5 MB."), field="file")
        head = file.read(8)
        file.seek(0)
        magic = MAGIC.get(suffix)
        if magic is not None and not head.startswith(magic):
            raise ValidationFailed(
                _("The file's content is not what its name says (%(suffix)s).")
                % {"suffix": suffix},
                field="file",
            )
    with transaction.atomic():
        found = _locked(assessment)
        _editable(found)
        evidence = Evidence(
            assessment=found, code=code, link=link, note=(note or "")[:300], added_by=actor
        )
        if file is not None:
            evidence.file.save(file.name or "evidence", file, save=False)
        evidence.save()
        _changed(found, "indicators.assessment.evidence", actor, {"code": code})
    return evidence


def assessment_submit(*, actor: Any, assessment: Assessment) -> Assessment:
    require(actor, "indicators.assessment.edit", assessment)
    with transaction.atomic():
        found = _locked(assessment)
        if found.status != Assessment.Status.DRAFT:
            raise Conflict(_("This assessment has been submitted already."))
        if not found.answers:
            raise ValidationFailed(_("Answer at least one topic before submitting."))
        found.status = Assessment.Status.SUBMITTED
        found.submitted_at = timezone.now()
        found.save(update_fields=["status", "submitted_at", "updated_at"])
        _changed(found, "indicators.assessment.submit", actor, {})
    return found


def review_submit(
    *,
    actor: Any,
    assessment: Assessment,
    organisation: Any,
    entries: dict[str, dict[str, str]],
    summary: str = "",
) -> Review:
    """A peer's review on behalf of `organisation`, which `actor` runs."""
    require(actor, "indicators.assessment.review", assessment)
    if organisation is None or organisation.pk == assessment.organisation_id:
        raise ValidationFailed(
            _("Review on behalf of another organisation than the one assessed."),
            field="organisation",
        )
    require(actor, "indicators.assessment.edit", organisation)  # actor runs the reviewer org
    estimations = {c: e.get("estimation", "") for c, e in entries.items()}
    check_answers(catalogue_of(assessment.catalogue_key), estimations)
    clean = {
        code: {
            "comment": (e.get("comment") or "").strip()[:MAX_ANSWER],
            "estimation": (e.get("estimation") or "").strip(),
        }
        for code, e in entries.items()
        if (e.get("comment") or "").strip() or (e.get("estimation") or "").strip()
    }
    with transaction.atomic():
        found = _locked(assessment)
        if found.status != Assessment.Status.SUBMITTED:
            raise Conflict(_("Only a submitted assessment is in review."))
        if Review.objects.filter(assessment=found, organisation=organisation).exists():
            raise Conflict(_("This organisation has reviewed this assessment already."))
        review = Review.objects.create(
            assessment=found,
            organisation=organisation,
            reviewer=actor,
            entries=clean,
            summary=(summary or "").strip()[:4000],
        )
        _changed(
            found,
            "indicators.assessment.review",
            actor,
            {"organisation": organisation.pk, "aspects": len(clean)},
        )
    return review


def assessment_signoff(*, actor: Any, assessment: Assessment) -> Assessment:
    require(actor, "indicators.assessment.signoff", assessment)
    with transaction.atomic():
        found = _locked(assessment)
        if found.status != Assessment.Status.SUBMITTED:
            raise Conflict(_("Only a submitted assessment can be signed off."))
        reviewers = found.reviews.values("organisation").distinct().count()
        if reviewers < MIN_REVIEWS:
            raise Conflict(
                _("Peers of at least %(n)s other organisations must review it first.")
                % {"n": MIN_REVIEWS}
            )
        found.result = result_of(found)
        found.status = Assessment.Status.SIGNED_OFF
        found.signed_off_by = None if actor is SYSTEM else actor
        found.signed_off_at = timezone.now()
        found.save(
            update_fields=["result", "status", "signed_off_by", "signed_off_at", "updated_at"]
        )
        _changed(found, "indicators.assessment.signoff", actor, {"reviews": reviewers})
    return found


def assessment_publish(*, actor: Any, assessment: Assessment, visibility: str) -> Assessment:
    """Publish a signed-off balance (or change who sees a published one)."""
    require(actor, "indicators.assessment.edit", assessment)
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Choose public or members only."), field="visibility")
    with transaction.atomic():
        found = _locked(assessment)
        if found.status not in (Assessment.Status.SIGNED_OFF, Assessment.Status.PUBLISHED):
            raise Conflict(_("Only a signed-off assessment can be published."))
        if found.status == Assessment.Status.PUBLISHED and found.visibility == visibility:
            return found
        found.status = Assessment.Status.PUBLISHED
        found.visibility = visibility
        found.published_at = found.published_at or timezone.now()
        found.save(update_fields=["status", "visibility", "published_at", "updated_at"])
        _changed(found, "indicators.assessment.publish", actor, {"visibility": visibility})
    return found
