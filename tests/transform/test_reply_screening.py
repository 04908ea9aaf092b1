"""PHI-safe reply screening against a trap set of owner replies written for this project: safe
replies raise no flag, unsafe ones raise exactly the kinds expected, and no reason repeats the
reviewer's name."""

from __future__ import annotations

import pytest

from transform.reply_screening import reply_flags, screen_reply

# (reviewer display name, reply, expected flag kinds, a term some reason must quote or None)
TRAPS = [
    # safe: generic, no confirmation that the reviewer was a patient
    ("Dana R", "Thank you for your feedback. We take every concern seriously. Please contact our "
     "Patient Relations team at the number on our website so we can learn more.", set(), None),
    ("Sam", "We appreciate you taking the time to share this. Our goal is excellent care for "
     "everyone who comes through our doors.", set(), None),
    ("Priya Natarajan", "Thank you for the kind words! We will share them with the whole team.", set(), None),
    ("Great Care Fan", "Great care is what we aim for. Thank you!", set(), None),
    ("Maria Lopez", "We're sorry to hear this. Privacy laws prevent us from discussing any individual "
     "situation; please call our patient advocate.", set(), None),
    ("A Google User", "Our emergency department is open 24/7 and we are always hiring nurses.", set(), None),
    ("Tom", "We're glad the new parking garage made a difference!", set(), None),
    ("Chris", "We take these claims seriously and would like to learn more; please reach out.", set(), None),
    ("Lee", "We may not always get it right, but we always listen.", set(), None),
    ("Jo", "", set(), None),
    # unsafe
    ("Maria Lopez", "Maria, we're sorry you waited so long.", {"reviewer_name"}, None),
    ("J. Thompson", "Mr. Thompson, please call us so we can make this right.", {"reviewer_name"}, None),
    ("Ana", "We're sorry your visit to the ER was difficult.", {"patient_relationship"}, "your visit"),
    ("Bo", "Our records show you were seen by Dr. Patel on March 3.",
     {"patient_relationship", "visit_date"}, "march 3"),
    ("Cy", "We understand chemotherapy is exhausting; our oncology nurses are here for you.",
     {"clinical"}, "chemotherapy"),
    ("Di", "The MRI was read by a radiologist the same day.", {"clinical"}, "mri"),
    ("Ed", "Medicaid does not cover that, which is why you received a bill.", {"billing"}, "medicaid"),
    ("Flo", "Your copay of $40 was applied correctly.", {"billing"}, "$40"),
    ("Gus", "We checked: your balance was sent to collections in error.", {"billing"}, "sent to collections"),
    ("Hal", "Sorry about the wait last Tuesday, the ER was very busy.", {"visit_date"}, "last tuesday"),
    ("Ivy", "The care team adjusted the insulin dosage for safety reasons.", {"clinical"}, "insulin"),
    ("Jay", "When you were admitted on 11/14 the unit was short-staffed.",
     {"patient_relationship", "visit_date"}, "11/14"),
    ("Kim", "We hope your recovery from the hip replacement is going well.", {"clinical"}, "hip replacement"),
    ("Lou", "Blue Cross requires prior authorization for this, we are sorry for the delay.",
     {"billing"}, "prior authorization"),
    ("Mo", "After your surgery the discharge nurse should have explained the next steps.",
     {"patient_relationship", "clinical"}, "surgery"),
    ("Ned", "You were our patient for many years and we value you.", {"patient_relationship"}, None),
    ("Ola", "We are so sorry about the miscarriage and how you were spoken to.", {"clinical"}, "miscarriage"),
    ("Pat", "It was out-of-network, so the deductible applied.", {"billing"}, "deductible"),
    ("Quinn Avery", "Quinn, following up on your appointment on Dec 2nd: please call us.",
     {"reviewer_name", "patient_relationship", "visit_date"}, "dec 2nd"),
    ("Rae", "Your insurance should cover the remaining 250 dollars.", {"billing"}, "250 dollars"),
]


@pytest.mark.parametrize(("reviewer", "reply", "kinds", "term"), TRAPS)
def test_trap_replies_raise_exactly_the_expected_flags(reviewer, reply, kinds, term):
    flags = screen_reply(reply, reviewer)
    assert {f.kind for f in flags} == kinds, [str(f) for f in flags]
    if term is not None:
        assert any(f"'{term}'" in f.reason for f in flags), [str(f) for f in flags]
    for token in (reviewer or "").lower().replace(".", " ").split():
        if len(token) >= 3:
            assert all(token not in f.reason.lower() for f in flags), "a reason repeats the reviewer's name"


def test_the_organisation_signing_its_reply_does_not_name_a_reviewer_who_shares_its_name():
    reply = "Thank you from all of us at Lakemont Health."
    assert screen_reply(reply, "Lakemont Fan") != []
    assert screen_reply(reply, "Lakemont Fan", organisation_words=frozenset({"Lakemont"})) == []


def test_flags_as_strings_for_a_list_column():
    assert reply_flags("Your copay was $40.", "Zed") == ["billing: billing specifics: '$40'",
                                                       "billing: billing specifics: 'copay'"]
    assert reply_flags(None) == []
