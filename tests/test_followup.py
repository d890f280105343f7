"""The rule rewriter for follow-up questions: the shapes it handles, and what it leaves alone."""

import pytest

from assistant.followup import RuleRewriter


def history(*questions):
    turns = []
    for question in questions:
        turns += [{"role": "user", "content": question}, {"role": "assistant", "content": "……"}]
    return turns


@pytest.mark.parametrize("previous, follow_up, standalone", [
    ("2024年缔约国对扎波罗热核电厂提出了什么要求？", "那伊朗呢？", "2024年缔约国对伊朗提出了什么要求？"),
    ("2024年缔约国对扎波罗热核电厂提出了什么要求？", "伊朗呢", "2024年缔约国对伊朗提出了什么要求？"),
    ("2024年缔约国对扎波罗热核电厂提出了什么要求？", "它位于哪个国家？", "扎波罗热核电厂位于哪个国家？"),
    ("2024年缔约国对扎波罗热核电厂提出了什么要求？", "2007年的工作文件怎么说？", "2007年的工作文件关于扎波罗热核电厂怎么说？"),
    ("2024年总结对扎波罗热核电厂说了什么？", "原子能机构为此确立了几项原则？", "原子能机构为扎波罗热核电厂确立了几项原则？"),
    ("What did the 2024 summary say about the Zaporizhzhia nuclear power plant?", "And what about Fukushima?",
     "What did the 2024 summary say about the Fukushima nuclear power plant?"),
    ("What does the 2024 summary say about the safeguards issues of Iran?", "what about Syria?",
     "What does the 2024 summary say about the safeguards issues of Syria?"),
    ("What did the 2024 summary say about nuclear security?", "what about nuclear safety?",
     "What did the 2024 summary say about nuclear safety?"),
    ("What did the 2024 summary say about the Zaporizhzhia nuclear power plant?", "Who operates it?",
     "Who operates the Zaporizhzhia nuclear power plant?"),
    ("What did the 2024 summary say about the DPRK?", "What does the 2007 paper say?",
     "What does the 2007 paper say about the DPRK?"),
    ("Which Security Council resolution endorsed the JCPOA?", "When was it adopted?",
     "Which Security Council resolution endorsed the JCPOA? When was it adopted?"),
    # No topic phrase: a place name takes the place of the previous one, not of the whole question
    ("2007年的工作文件要求伊朗遵守哪几项安理会决议？", "那朝鲜呢？", "2007年的工作文件要求朝鲜遵守哪几项安理会决议？"),
    ("2007年的工作文件要求伊朗遵守哪几项安理会决议？", "朝鲜又如何？", "2007年的工作文件要求朝鲜遵守哪几项安理会决议？"),
    ("Which Security Council resolutions did the 2007 paper ask Iran to comply with?", "what about North Korea?",
     "Which Security Council resolutions did the 2007 paper ask North Korea to comply with?"),
    ("Which Security Council resolutions did the 2007 paper ask Iran to comply with?", "And Syria?",
     "Which Security Council resolutions did the 2007 paper ask Syria to comply with?"),
    # A name the previous question gives twice changes in both places
    ("Which Security Council resolutions on Iran's nuclear programme did the 2007 working paper urge Iran to comply "
     "with?", "And the DPRK?",
     "Which Security Council resolutions on DPRK's nuclear programme did the 2007 working paper urge DPRK to comply with?"),
    # "This number" in another document: the quantity the previous question asked, of that document
    ("2007年的工作文件说，大约有多少个缔约国的第三条保障监督协定还没生效？", "这个数字在2024年的总结里是多少？",
     "2024年的总结说，大约有多少个缔约国的第三条保障监督协定还没生效？"),
    # "it" where the question names the topic already is not the topic (it is the document)
    ("What did the 2007 paper say about Iran?", "And what did it ask Iran to do?",
     "What did the 2007 paper say about Iran? And what did it ask Iran to do?"),
    # "there": the place the previous question asked about
    ("2024年总结对扎波罗热核电厂说了什么？", "谁在那里派驻了人员？", "谁在扎波罗热核电厂派驻了人员？"),
    # "say the same": what the previous question asked, of the document this one names
    ("What did the 2007 paper say about Iran?", "Did the 2024 summary say the same?",
     "Did the 2024 summary say about Iran?"),
    ("2007年的工作文件对伊朗核计划怎么说？", "2024年的总结也这么说吗？", "2024年的总结关于伊朗核计划也这么说吗？"),
    # Another document: the same question of it
    ("2007年的工作文件对伊朗核计划表示了什么？", "那2024年的总结呢？", "2024年的总结对伊朗核计划表示了什么？"),
    ("What did the 2007 working paper say about Iran?", "what about the 2024 summary?",
     "What did the 2024 summary say about Iran?"),
    # A year alone names the document of that year, not a new topic
    ("缔约国对伊朗核问题有什么看法？", "那在2007年呢？", "2007年的文件中，缔约国对伊朗核问题有什么看法？"),
    ("2024年的总结对附加议定书说了什么？", "那2007年的呢？", "2007年的文件对附加议定书说了什么？"),
    ("2024年的总结对伊朗核问题有什么看法？", "2007年呢？", "2007年的文件对伊朗核问题有什么看法？"),
    ("What do States parties say about Iran?", "What about 2007?", "What do States parties say about Iran in the 2007 document?"),
    ("What does the 2024 summary say about Iran?", "what about 2007?", "What does the 2007 document say about Iran?"),
    ("What does the Chair's 2024 summary say about Iran?", "What about 2007?", "What does the Chair's 2007 document say about Iran?"),
])
def test_follow_up_becomes_standalone(previous, follow_up, standalone):
    assert RuleRewriter().rewrite(follow_up, history(previous)) == standalone


def test_a_follow_up_to_a_follow_up_builds_on_the_rewritten_one():
    turns = history("2007年的工作文件关于伊朗核计划说了什么？", "那朝鲜呢？")
    assert RuleRewriter().rewrite("那叙利亚呢？", turns) == "2007年的工作文件关于叙利亚说了什么？"


@pytest.mark.parametrize("previous, follow_up, standalone", [
    # Two names: which one is the topic, the rules cannot tell, so the new one is only added
    ("伊朗在日内瓦会议上说了什么？", "那朝鲜呢？", "关于朝鲜，伊朗在日内瓦会议上说了什么？"),
    ("Which resolutions did the 2007 paper ask Iran to comply with under the NPT?", "And Syria?",
     "Which resolutions did the 2007 paper ask Syria to comply with under the NPT?"),  # NPT: an acronym
    # Not a topic at all: a question of its own, or no question
    ("2007年的工作文件对伊朗核计划表示了什么？", "那么呢？", "那么呢？"),
    ("2007年的工作文件对伊朗核计划表示了什么？", "那么如何？", "那么如何？"),
    ("2007年的工作文件对伊朗核计划表示了什么？", "伊朗遵守了哪些决议呢？", "伊朗遵守了哪些决议呢？"),
    ("What did the 2007 paper say about Iran?", "And then?", "And then?"),
    ("What did the 2007 paper say about Iran?", "And must Iran comply?", "And must Iran comply?"),
])
def test_what_the_rules_cannot_place_is_not_guessed(previous, follow_up, standalone):
    assert RuleRewriter().rewrite(follow_up, history(previous)) == standalone


@pytest.mark.parametrize("question", [
    "2024年缔约国对福岛处理水排海有何看法？",
    "What does paragraph 144 of the 2024 summary say?",
    # "如何" and "怎么样" close ordinary questions; only 那/还有/而 before them make a follow-up
    "扎波罗热核电厂的情况如何？",
    "福岛处理水排海的情况怎么样？",
    "And what did the 2024 summary say about Fukushima?",
])
def test_a_question_that_stands_alone_is_left_alone(question):
    assert RuleRewriter().rewrite(question, history("2007年的工作文件对伊朗核计划表示了什么？")) == question
    assert RuleRewriter().rewrite(question, []) == question


def test_the_context_of_a_conversation_is_what_its_last_answer_cited_and_said():
    from assistant.followup import asks_of_cited_paragraph, asks_of_other_document, context_of

    history = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "根据文件：甲乙丙丁戊己庚辛。[a ¶1]"},
               {"role": "user", "content": "q2"},
               {"role": "assistant", "content": "The documents say: 子丑寅卯辰巳午未。 [b ¶7] 申酉戌亥子丑寅卯。 [b ¶8] [b ¶7]"}]
    context = context_of(history)
    assert context.cited == (("b", 7), ("b", 8))
    assert context.already_said("子丑寅卯辰巳午未。") and context.already_said("申酉戌亥 子丑寅卯。")
    assert not context.already_said("甲乙丙丁戊己庚辛。")  # an earlier answer's, not the last one's
    assert not context.already_said("子丑")  # too short to tell
    assert context_of([{"role": "user", "content": "q"}]).cited == ()
    for question in ("这一段还援引了哪几项决议？", "第三项指的是什么？", "And item (h)?", "what is item c?", "最后一项呢？", "And the last item?",
                     "What else does that paragraph urge?", "前面提到的那一条呢？"):
        assert asks_of_cited_paragraph(question), question
    for question in ("Which items were reported?", "那伊朗呢？", "第144段说了什么？", "Were any other items listed?"):
        assert not asks_of_cited_paragraph(question), question
    for question in ("另一份文件在这个问题上是什么态度？", "What does the other document say?", "And the other one?"):
        assert asks_of_other_document(question), question
    assert not asks_of_other_document("那伊朗呢？") and not asks_of_other_document("What other States agreed?")


def test_a_follow_up_that_points_back_is_told_from_one_that_stands_alone():
    from assistant.followup import points_back

    for question in ("有没有国家不赞成这样做？", "这些签署国里，有哪一个表态？", "Did he also set out anything?",
                     "When was it adopted?", "Is that still the count?", "它哪一年期满？", "And which one is in Africa?",
                     "What was the reason given?", "理由是什么？", "给出的原因是什么？"):
        assert points_back(question), question
    for question in ("哪个国家重申了不首先使用核武器的政策？", "Which States criticised the withdrawal?",
                     "Which one of the zone treaties is in Africa?", "What is the reason for the delay?",
                     "What was the number of zones listed in 2024?", "What was agreed in the year 2000?",
                     "What was the outcome document of the 2010 Review Conference?",
                     "Is there a time limit?", "What did the Director General set out?",
                     "有没有其他国家提到？", "核武器国家应该怎么做？", "因此呼吁了什么？"):
        assert not points_back(question), question


def test_what_the_last_answer_quoted_may_answer_a_follow_up_that_picks_from_it_or_when_it_came_close():
    from assistant.followup import context_of, picks_from_last

    for question in ("其中哪个条约在非洲？", "Which of them entered into force first?", "Did any of these States object?",
                     "And which one is in Africa?"):
        assert picks_from_last(question), question
    for question in ("有国家反对这种做法吗？", "那布鲁塞尔召开的首届核能峰会呢？", "What else did it say?"):
        assert not picks_from_last(question), question
    close = [{"role": "user", "content": "q"},
             {"role": "assistant", "content": "The documents do not state this directly. The closest passages (quoted in "
                                              "their original language): 甲乙丙丁戊己庚辛。[a ¶1]"}]
    assert context_of(close).came_close
    assert not context_of(close[:1] + [{"role": "assistant", "content": "根据文件：甲乙丙丁戊己庚辛。[a ¶1]"}]).came_close
    assert context_of(close[:1] + [{"role": "assistant", "content": "文件没有直接说明这一点。最接近的段落：甲乙丙丁戊己庚辛。[a ¶1]"}]).came_close
