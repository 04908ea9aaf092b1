"""Each marts suite passes rows shaped like the candidate's and fails the defect it exists for.

Rows carry the columns each suite module's SQL selects (text columns already reduced by the
module's `prepare`, which the PHI tests below exercise on real text).
"""

from __future__ import annotations

import pandas as pd

from expectations import suites
from tests.expectations.conftest import failed

DAY = pd.Timestamp("2026-11-26")


def rows(*dicts):
    return pd.DataFrame(list(dicts))


def mention(**changes):
    row = {"mention_key": "x:tweet:1:lakemont", "post_key": "x:tweet:1", "brand_id": "lakemont",
           "platform": "x", "mention_date": DAY, "author_key": "x:anon_1", "entity_type": "post",
           "matched_on": "handle", "stock_label": "positive", "adjusted_label": "neutral",
           "stock_compound": 0.44, "adjusted_compound": 0.01, "engagements": 3, "reach": 120, "views": None,
           "language": "en", "is_excluded": False, "exclusion_reason": None, "scored_iff_english": True,
           "compound_iff_scored": True, "reason_iff_excluded": True}
    return {**row, **changes}


def test_fct_mentions_pass(suite_runner):
    frame = rows(mention(), mention(mention_key="k2", brand_id="northgate", platform="youtube",
                                    entity_type="comment", adjusted_compound=-1.0, views=40),
                 mention(mention_key="k3", language="es", stock_label="not_scored",
                         adjusted_label="not_scored", stock_compound=None, adjusted_compound=None),
                 mention(mention_key="k4", is_excluded=True, exclusion_reason="bot_account"))
    assert suite_runner.failures("marts__fct_mentions", frame) == []


def test_fct_mentions_language_and_screening_fail(suite_runner):
    # a Spanish text with a VADER label, an exclusion without its reason, an unknown language
    frame = rows(mention(language="es", scored_iff_english=False), mention(is_excluded=True,
                 reason_iff_excluded=False), mention(language="spanish"), mention(exclusion_reason="spam"))
    failures = suite_runner.failures("marts__fct_mentions", frame)
    s = "marts__fct_mentions"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=scored_iff_english")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=reason_iff_excluded")
    assert failed(failures, s, "expect_column_values_to_match_regex", "column=language")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=exclusion_reason")


def test_fct_mentions_fail(suite_runner):
    frame = rows(mention(author_key=None), mention(brand_id="unknown"), mention(platform="myspace"),
                 mention(adjusted_compound=1.7), mention(reach=-1), mention(matched_on="vibes"))
    failures = suite_runner.failures("marts__fct_mentions", frame)
    s = "marts__fct_mentions"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=author_key")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=brand_id")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=platform")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=adjusted_compound")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=reach")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=matched_on")


def sov(**changes):
    row = {"sov_key": "2026-11-26|x|lakemont", "mention_date": DAY, "platform": "x", "brand_id": "lakemont",
           "panel_version": "2026-Q4", "net_sentiment": 0.5, "mention_sov": 0.75, "engagement_sov": 1.0,
           "reach_sov": 0.5, "sentiment_weighted_sov": 0.78, "mentions": 3, "engagements": 40, "reach": 200,
           "positive_mentions": 2, "neutral_mentions": 0, "negative_mentions": 1, "panel_mentions": 4,
           "panel_engagements": 40, "panel_reach": 400}
    return {**row, **changes}


def test_fct_share_of_voice_daily_pass(suite_runner):
    frame = rows(sov(), sov(sov_key="k2", brand_id="bayfield", net_sentiment=None, mention_sov=0.25,
                            engagement_sov=None, reach_sov=None, sentiment_weighted_sov=0.22))
    assert suite_runner.failures("marts__fct_share_of_voice_daily", frame) == []


def test_fct_share_of_voice_daily_fail(suite_runner):
    frame = rows(sov(mention_sov=1.2), sov(reach_sov=-0.1), sov(net_sentiment=-1.5),
                 sov(panel_version="2025-Q1"), sov(platform=None), sov(mentions=-2))
    failures = suite_runner.failures("marts__fct_share_of_voice_daily", frame)
    s = "marts__fct_share_of_voice_daily"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=mention_sov")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=reach_sov")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=net_sentiment")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=panel_version")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=platform")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=mentions")


def campaign_day(**changes):
    row = {"campaign_day_key": "fight_flu_2026|2026-11-26|x", "campaign_id": "fight_flu_2026",
           "date_day": DAY, "platform": "x", "brand_id": "lakemont", "window_day_number": 43,
           "owned_posts": 1, "mentions": 2, "user_generated_mentions": 1, "reach": 1000, "engagements": 25,
           "daily_spend": 163.93, "cost_per_engagement": 6.56, "window_mentions_to_date": 40,
           "pre_window_mentions": 30, "engagement_rate": 0.025, "mean_sentiment": 0.2, "mention_lift": 0.33}
    return {**row, **changes}


def test_fct_campaign_performance_daily_pass(suite_runner):
    frame = rows(campaign_day(), campaign_day(campaign_day_key="k2", platform="reddit", engagement_rate=None,
                                              mean_sentiment=None, cost_per_engagement=None,
                                              pre_window_mentions=None, mention_lift=None))
    assert suite_runner.failures("marts__fct_campaign_performance_daily", frame) == []


def test_fct_campaign_performance_daily_fail(suite_runner):
    frame = rows(campaign_day(campaign_id="summer_gala"), campaign_day(engagement_rate=-0.5),
                 campaign_day(daily_spend=-10), campaign_day(mention_lift=-3),
                 campaign_day(window_day_number=0), campaign_day(date_day=None))
    failures = suite_runner.failures("marts__fct_campaign_performance_daily", frame)
    s = "marts__fct_campaign_performance_daily"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=campaign_id")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=engagement_rate")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=daily_spend")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=mention_lift")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=window_day_number")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=date_day")


def snapshot(**changes):
    row = {"post_snapshot_key": "x:tweet:1@2026-11-26", "post_key": "x:tweet:1", "snapshot_date": DAY,
           "platform": "x", "author_key": "x:lakemonthealth", "brand_id": "lakemont",
           "publish_hour_of_week": 9, "engagements": 20, "comments": 4, "shares": 2, "views": 500,
           "followers_at_post_time": 1000, "engagement_rate_by_followers": 0.02,
           "engagement_rate_by_views": 0.04}
    return {**row, **changes}


def test_fct_post_engagement_daily_pass(suite_runner):
    frame = rows(snapshot(), snapshot(post_snapshot_key="k2", platform="bluesky", views=None, shares=None,
                                      engagement_rate_by_views=None, publish_hour_of_week=167))
    assert suite_runner.failures("marts__fct_post_engagement_daily", frame) == []


def test_fct_post_engagement_daily_fail(suite_runner):
    frame = rows(snapshot(engagement_rate_by_followers=-0.1), snapshot(publish_hour_of_week=168),
                 snapshot(brand_id=None), snapshot(views=-7))
    failures = suite_runner.failures("marts__fct_post_engagement_daily", frame)
    s = "marts__fct_post_engagement_daily"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=engagement_rate_by_followers")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=publish_hour_of_week")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=brand_id")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=views")


def influencer(**changes):
    row = {"influencer_day_key": "x:dr_a:lakemont:2026-11-26", "mention_date": DAY, "brand_id": "lakemont",
           "author_key": "x:dr_a", "platform": "x", "mentions": 2, "avg_adjusted_compound": 0.3,
           "engagements": 50, "reach": 24000, "positive_mentions": 1, "negative_mentions": 0}
    return {**row, **changes}


def test_fct_influencer_mentions_daily_pass(suite_runner):
    frame = rows(influencer(), influencer(influencer_day_key="k2", avg_adjusted_compound=None))
    assert suite_runner.failures("marts__fct_influencer_mentions_daily", frame) == []


def test_fct_influencer_mentions_daily_fail(suite_runner):
    frame = rows(influencer(platform="myspace"), influencer(reach=-1),
                 influencer(mentions=0), influencer(avg_adjusted_compound=-2))
    failures = suite_runner.failures("marts__fct_influencer_mentions_daily", frame)
    s = "marts__fct_influencer_mentions_daily"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=platform")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=reach")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=mentions")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=avg_adjusted_compound")


def hashtag(**changes):
    row = {"hashtag_day_key": "flushot:x:2026-11-26", "hashtag": "flushot", "platform": "x",
           "published_date": DAY, "posts": 6, "authors": 5, "baseline_days": 7, "engagements": 30,
           "baseline_avg_posts": 1.2, "is_trending": True}
    return {**row, **changes}


def test_fct_trending_hashtags_daily_pass(suite_runner):
    frame = rows(hashtag(), hashtag(hashtag_day_key="k2", baseline_days=0, baseline_avg_posts=None,
                                    is_trending=False))
    assert suite_runner.failures("marts__fct_trending_hashtags_daily", frame) == []


def test_fct_trending_hashtags_daily_fail(suite_runner):
    frame = rows(hashtag(posts=0), hashtag(is_trending=None), hashtag(baseline_avg_posts=-1))
    failures = suite_runner.failures("marts__fct_trending_hashtags_daily", frame)
    s = "marts__fct_trending_hashtags_daily"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=posts")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=is_trending")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=baseline_avg_posts")


def cell(**changes):
    row = {"best_time_key": "lakemont:x:video:9", "brand_id": "lakemont", "platform": "x",
           "content_type": "video", "hour_of_week": 9, "hour_of_day": 9, "iso_day_of_week": 1, "posts": 5,
           "rank_in_content_type": 1, "engagements": 100, "engagement_rate_by_followers": 0.01,
           "mean_engagement_rate_by_followers": 0.012}
    return {**row, **changes}


def test_fct_best_time_to_post_pass(suite_runner):
    frame = rows(cell(), cell(best_time_key="k2", hour_of_week=167, hour_of_day=23, iso_day_of_week=7,
                              posts=1, rank_in_content_type=None))
    assert suite_runner.failures("marts__fct_best_time_to_post", frame) == []


def test_fct_best_time_to_post_fail(suite_runner):
    frame = rows(cell(hour_of_week=200), cell(iso_day_of_week=0), cell(posts=0),
                 cell(engagement_rate_by_followers=-1))
    failures = suite_runner.failures("marts__fct_best_time_to_post", frame)
    s = "marts__fct_best_time_to_post"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=hour_of_week")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=iso_day_of_week")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=posts")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=engagement_rate_by_followers")


def question(**changes):
    row = {"patient_question_key": "x:tweet:1:lakemont", "post_key": "x:tweet:1", "brand_id": "lakemont",
           "platform": "x", "author_key": "x:anon_1", "item_kind": "question", "addressed_via": "handle",
           "is_answered": False, "response_minutes": None, "hours_waiting": 5, "adjusted_compound": 0.0,
           "text_redacted": "@lakemonthealth how do I book a flu shot? call me at [PHONE]"}
    return {**row, **changes}


def prepared(name, frame):
    return suites.module(name).prepare(frame)


def test_fct_patient_questions_pass(suite_runner):
    frame = prepared("marts__fct_patient_questions",
                     rows(question(), question(patient_question_key="k2", item_kind="complaint",
                                               is_answered=True, response_minutes=42)))
    assert "text_redacted" not in frame.columns
    assert suite_runner.failures("marts__fct_patient_questions", frame) == []


def test_fct_patient_questions_fail(suite_runner):
    leaked = question(text_redacted="my MRN 00482913, please call 312-555-0199")
    frame = prepared("marts__fct_patient_questions",
                     rows(leaked, question(response_minutes=-5), question(item_kind="rant"),
                          question(brand_id=None)))
    failures = suite_runner.failures("marts__fct_patient_questions", frame)
    s = "marts__fct_patient_questions"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=text_has_phi_residue")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=response_minutes")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=item_kind")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=brand_id")


def flagged(**changes):
    row = {"post_key": "x:tweet:9", "platform": "x", "author_key": "x:anon_9", "red_flags": 4,
           "risk_level": "medium", "fact_check_verdict": "false", "evidence_link_count": 0,
           "author_followers": 80, "engagements": 12,
           "text_redacted": "they won't tell you: vitamin C cures the flu"}
    return {**row, **changes}


def test_fct_misinformation_watch_pass(suite_runner):
    frame = prepared("marts__fct_misinformation_watch",
                     rows(flagged(), flagged(post_key="k2", fact_check_verdict=None, red_flags=0,
                                             risk_level="low")))
    assert suite_runner.failures("marts__fct_misinformation_watch", frame) == []


def test_fct_misinformation_watch_fail(suite_runner):
    frame = prepared("marts__fct_misinformation_watch",
                     rows(flagged(red_flags=8), flagged(risk_level="extreme"),
                          flagged(fact_check_verdict="true"),
                          flagged(text_redacted="write to jane.roe@example.org for the cure")))
    failures = suite_runner.failures("marts__fct_misinformation_watch", frame)
    s = "marts__fct_misinformation_watch"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=red_flags")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=risk_level")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=fact_check_verdict")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=text_has_phi_residue")


def alert_day(**changes):
    row = {"sentiment_day_key": "lakemont:x:2026-11-26", "date_day": DAY, "brand_id": "lakemont",
           "platform": "x", "mentions": 20, "is_alert": True, "alert_kind": "net_sentiment_drop",
           "positive_mentions": 5, "negative_mentions": 5, "net_sentiment": 0.0}
    return {**row, **changes}


def test_fct_sentiment_alerts_daily_pass(suite_runner):
    frame = rows(alert_day(), alert_day(sentiment_day_key="k2", platform="all", is_alert=False,
                                        alert_kind=None, net_sentiment=None))
    assert suite_runner.failures("marts__fct_sentiment_alerts_daily", frame) == []


def test_fct_sentiment_alerts_daily_fail(suite_runner):
    frame = rows(alert_day(net_sentiment=2.0), alert_day(alert_kind="vibes_shift"),
                 alert_day(is_alert=None), alert_day(platform="everywhere"))
    failures = suite_runner.failures("marts__fct_sentiment_alerts_daily", frame)
    s = "marts__fct_sentiment_alerts_daily"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=net_sentiment")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=alert_kind")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=is_alert")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=platform")


def health(**changes):
    row = {"health_key": "2026-11-26:x", "night": DAY, "platform": "x", "health_status": "ok", "runs": 1,
           "pages_fetched": 12, "records_fetched": 166, "malformed_pages": 0, "posts_staged": 139,
           "mentions": 120, "quarantined_records": 0}
    return {**row, **changes}


PUBLISHING = {"freshness_min": DAY, "freshness_max": DAY}


def test_fct_data_health_nightly_pass(suite_runner):
    frame = rows(health(), health(health_key="2026-11-25:x", night=DAY - pd.Timedelta(days=1),
                                  health_status="partial"))
    assert suite_runner.failures("marts__fct_data_health_nightly", frame, PUBLISHING) == []


def test_fct_data_health_nightly_fail(suite_runner):
    # the candidate's newest night is the night before the one being published: stale
    stale = DAY - pd.Timedelta(days=1)
    frame = rows(health(night=stale), health(health_status="meh", night=stale),
                 health(malformed_pages=-1, night=stale))
    failures = suite_runner.failures("marts__fct_data_health_nightly", frame, PUBLISHING)
    s = "marts__fct_data_health_nightly"
    assert failed(failures, s, "expect_column_max_to_be_between", "column=night")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=health_status")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=malformed_pages")


def reconciled(**changes):
    row = {"platform": "x", "raw_posts": 139, "staged_posts": 139, "raw_comments": 0, "staged_comments": 0,
           "manifest_records": 166, "health_records": 166, "matched_mentions": 130, "fct_mentions": 130,
           "panel_fct_mentions": 129, "sov_mentions": 129}
    return {**row, **changes}


def test_reconciliation_pass(suite_runner):
    frame = rows(reconciled(), reconciled(platform="youtube", raw_comments=12, staged_comments=12))
    assert suite_runner.failures("marts__reconciliation", frame) == []


def test_reconciliation_fail(suite_runner):
    frame = rows(reconciled(staged_posts=138),
                 reconciled(platform="youtube", staged_comments=11, raw_comments=12),
                 reconciled(platform="reddit", health_records=160),
                 reconciled(platform="bluesky", fct_mentions=131),
                 reconciled(platform="mastodon", sov_mentions=128))
    failures = suite_runner.failures("marts__reconciliation", frame)
    s, pair = "marts__reconciliation", "expect_column_pair_values_to_be_equal"
    assert failed(failures, s, pair, "column_A=raw_posts, column_B=staged_posts")
    assert failed(failures, s, pair, "column_A=raw_comments, column_B=staged_comments")
    assert failed(failures, s, pair, "column_A=manifest_records, column_B=health_records")
    assert failed(failures, s, pair, "column_A=matched_mentions, column_B=fct_mentions")
    assert failed(failures, s, pair, "column_A=panel_fct_mentions, column_B=sov_mentions")
