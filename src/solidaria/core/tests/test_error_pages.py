"""Refusals become styled 403/404 pages in the site layout, with the reason."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_member_gets_a_styled_403_with_a_way_back(member_client: Client) -> None:
    response = member_client.get("/accounts/people/", HTTP_REFERER="/directory/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot do this here" in body and 'href="/directory/"' in body
    assert 'class="site-header"' in body


def test_an_applicant_is_told_why(applicant_client: Client) -> None:
    response = applicant_client.get("/accounts/people/")
    assert response.status_code == 403
    assert "waiting for a steward" in response.content.decode()


def test_an_unknown_page_is_a_styled_404() -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_a_service_refusal_escaping_a_view_is_a_403_with_its_reason(rf, member) -> None:
    from solidaria.core.errors import PermissionDenied
    from solidaria.core.middleware import DomainRefusalMiddleware

    request = rf.get("/")
    request.user = member
    middleware = DomainRefusalMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(request, PermissionDenied("Only stewards may."))
    assert response.status_code == 403 and "Only stewards may." in response.content.decode()


def test_the_login_page_says_why_the_visitor_was_sent_there() -> None:
    response = Client().get("/accounts/profile/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert 'id="login-reason"' in response.content.decode()
