"""The bad-words list: validated saves with history, and screening of every vendor's texts."""

import pytest

from orders.models import BadWordChange, BadWordList, Customization, DesignNode
from orders.services.bad_words import BadWordsInvalid, bad_words_save, customizations_screen
from tests.factories import CustomizationFactory, NodeFactory, SideFactory, StaffFactory

pytestmark = pytest.mark.django_db


def customization_saying(*texts, **fields):
    customization = CustomizationFactory(**fields)
    side = SideFactory(customization=customization)
    for text in texts:
        NodeFactory(side=side, kind=DesignNode.Kind.TEXT, text=text)
    return customization


def test_save_cleans_the_list_and_records_who_changed_what(django_capture_on_commit_callbacks):
    user = StaffFactory()
    with django_capture_on_commit_callbacks(execute=False) as rescreens:
        change = bad_words_save(words="  damn \n\nDamn, crap ,  bad   word ", is_active=True, user=user)

    word_list = BadWordList.current()
    assert word_list.words == ["damn", "crap", "bad word"]
    assert (change.user, change.added, change.removed, change.version) == (user, ["damn", "crap", "bad word"], [], 2)
    assert len(rescreens) == 1  # the list changed: existing customizations are screened again

    second = bad_words_save(words=["damn", "heck"], is_active=False, user=user)
    assert (second.added, second.removed) == (["heck"], ["crap", "bad word"])
    assert (second.active_before, second.active_after) == (True, False)
    assert BadWordChange.objects.count() == 2
    assert bad_words_save(words=["damn", "heck"], is_active=False, user=user) is None  # no change, no record


def test_over_long_entries_are_refused_and_nothing_is_saved():
    bad_words_save(words=["damn"], is_active=True)

    with pytest.raises(BadWordsInvalid) as refused:
        bad_words_save(words=["crap", "x" * 101], is_active=True)

    assert "Too long (101 characters, at most 100)" in refused.value.errors[0]
    assert BadWordList.current().words == ["damn"]


def test_screening_flags_every_vendor_and_clears_when_the_list_changes():
    qstomizer = customization_saying("Happy Birthday", "Damn fine coffee")
    kickflip = customization_saying("D.A.M.N good", connection__kind="kickflip", connection__company="brand")
    innocent = customization_saying("Scunthorpe United", "Classic")
    bad_words_save(words=["damn", "cunt", "ass"], is_active=True)

    assert customizations_screen() == 2

    flagged = set(Customization.objects.filter(has_bad_words=True).values_list("pk", flat=True))
    assert flagged == {qstomizer.pk, kickflip.pk}
    assert Customization.objects.get(pk=qstomizer.pk).bad_words == ["damn"]
    assert not Customization.objects.get(pk=innocent.pk).has_bad_words
    assert customizations_screen() == 0  # everything is screened with this version already

    bad_words_save(words=["damn", "cunt", "ass"], is_active=False)  # filtering switched off
    customizations_screen()
    assert not Customization.objects.filter(has_bad_words=True).exists()
