"""Every word the chat UI shows, in English and in Chinese.

Two levels: the page (labels, header, placeholder, scope line, panel hint, notes) is in one
language, the reader's: `?lang=en|zh` when given, else the browser's (its Accept-Language, which
is also what Gradio reads for the labels); each turn of the conversation is in its own question's
language (TURN_TEXT), so a Chinese question reads in Chinese throughout on an English page. Other
languages get English.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from vectorstore.readers import SUPPORTED_SUFFIXES

LANGUAGES = ("en", "zh")

# The labels of Gradio's own components, translated in the browser by Gradio (gr.I18n).
LABELS = {
    "ask": ("Ask", "提问"),
    "placeholder": ("Ask about the documents", "就这些文件提问"),
    "new": ("New conversation", "新对话"),
    "comment": ("Comment (optional)", "意见（可选）"),
    "comment_placeholder": ("What was right or wrong?", "哪里对、哪里不对？"),
    "save_comment": ("Save comment", "保存意见"),
    "tab_paragraph": ("Paragraph", "段落"),
    "tab_documents": ("Documents", "文件"),
    "tab_settings": ("Settings", "设置"),
    "tab_feedback": ("Feedback", "反馈"),
    "search_only": ("Search only in", "只在这些文件中检索"),
    "search_only_info": ("Nothing checked: all documents", "不勾选：检索全部文件"),
    "admin_key": ("Admin key", "管理员密钥"),
    "admin_key_info": ("Needed to add or delete documents on this server", "在此服务器上添加或删除文件时需要"),
    "add_documents": ("Add documents: " + " ".join(SUPPORTED_SUFFIXES), "添加文件：" + " ".join(SUPPORTED_SUFFIXES)),
    "yes_replace": ("Yes, replace", "替换"),
    "cancel": ("Cancel", "取消"),
    "remove_document": ("Remove a document", "删除文件"),
    "delete": ("Delete", "删除"),
    "yes_delete": ("Yes, delete", "确认删除"),
    "generator": ("Generator", "生成器"),
    "generator_info": (
        "extractive quotes the paragraphs; openai and llamacpp write with an LLM",
        "extractive 直接引用段落；openai 和 llamacpp 由大语言模型撰写",
    ),
    "endpoint": ("OpenAI-compatible endpoint", "OpenAI 兼容接口地址"),
    "model_name": ("Model name", "模型名称"),
    "top_k": ("Paragraphs retrieved (top-k)", "检索段落数（top-k）"),
    "judge": ("Support check (judge)", "支持度核查（judge）"),
    "judge_info": (
        "auto: the LLM judge for LLM generators, quotes otherwise",
        "auto：LLM 生成器用 LLM 核查，否则核对引文",
    ),
    "export": ("Export feedback", "导出反馈"),
    "export_file": ("Feedback as eval questions", "反馈（评测问题格式）"),
}
I18N = gr.I18n(en={k: v[0] for k, v in LABELS.items()}, zh={k: v[1] for k, v in LABELS.items()})
L = I18N  # L("ask"): a label's key, translated in the browser

# Gradio reads the browser's language (navigator.language) as it starts and has no URL parameter
# for it: this script, first in the page's <head> (the server puts it there, before Gradio's own),
# makes the browser report `?lang=` when given, so that Gradio's labels and the server's text
# agree; and it names the page's language on <html> for screen readers.
LANGUAGE_SCRIPT = """<script>
(() => {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'zh') {
    const tag = asked === 'zh' ? 'zh-CN' : 'en-US';
    Object.defineProperty(navigator, 'language', {get: () => tag, configurable: true});
    Object.defineProperty(navigator, 'languages', {get: () => [tag], configurable: true});
  }
  document.documentElement.lang = (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
})();
</script>"""


def page_language(query: dict | None, accept_language: str | None) -> str:
    """The page's language: `?lang=` when it names one of LANGUAGES, else the first of the
    browser's languages (Accept-Language, by weight) that is one, else English."""
    asked = (query or {}).get("lang")
    if asked in LANGUAGES:
        return asked
    weighted = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        weighted.append((-weight, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(weighted):
        if language in LANGUAGES:
            return language
    return "en"


# What the server renders into the page (it is HTML, not a Gradio label), in the page's language.
PAGE_TEXT = {
    "en": {
        "tagline": "Answers that cite, for every sentence, the numbered paragraph it comes from",
        "empty_none": "No documents yet. Add some in the Documents tab, then ask about them.",
        "empty_some": "Ask about the {n} document{s} in the library, in Chinese or English. Every sentence of "
                      "the answer cites the numbered paragraph it comes from.",
        "try": "Try:",
        "scope_all": "Searching all {n} document{s}",
        "scope_none": "No documents yet",
        "scope_some": "Searching only {names}",
        "panel_empty": "Click a ¶ citation in an answer to read the whole paragraph here, with the quoted words "
                       "highlighted.",
        "close": "Back to the answer",
        "library_empty": "The library is empty.",
        "col_document": "Document",
        "col_title": "Title",
        "feedback_help": "Every thumbs-up and thumbs-down is kept with the question, the answer and its "
                         "citations. Export them as eval-suite questions (JSONL): a thumbs-up answer’s citations "
                         "become its gold paragraphs; a thumbs-down one waits for a person to label it.",
        "gone_answer": "This answer is no longer in the conversation.",
        "unreadable_citation": "That citation could not be read.",
        "gone_paragraph": "{doc} ¶{n} is no longer in the library (the document was deleted or replaced).",
        "gone_rated": "That answer is no longer here.",
        "comment_on": "Comment on your {thumb} for answer {n} (optional)",
        "thumbs_up": "thumbs-up",
        "thumbs_down": "thumbs-down",
        "rate_first": "Rate an answer first.",
        "comment_saved": "Comment saved. Thank you.",
        "no_feedback": "No feedback yet: rate an answer with a thumb first.",
        "exported": "{n} rated answer{s} exported.",
        "choose_delete": "Choose a document to delete.",
        "deleted": "Deleted {doc}.",
        "nothing_added": "Nothing was added or replaced.",
        "confirm_replace": "Replace {listing} with the uploaded file? The stored paragraphs cannot be brought back; "
                           "citations of them in earlier answers will open the new text.",
        "confirm_delete": "Delete {listing}? This cannot be undone; citations of it in earlier answers will no "
                          "longer open their paragraphs.",
        "paragraphs": "{n} paragraph{s}",
        "added": "Added {doc} “{title}”, {n} paragraph{s}.",
        "replaced": "Replaced {doc} “{title}”, {n} paragraph{s}.",
        "unchanged": "Already in the library: {doc} “{title}”, {n} paragraph{s}.",
        "warning": "Note: {text}",
        "add_failed": "Something went wrong while adding the documents; the server log has the details.",
        "answer_failed": "Something went wrong while answering; the server log has the details.",
        "or_endpoint": " Or enter an endpoint under Settings.",
        "empty_question": "The question is empty.",
        "long_question": "The question is {n} characters long; the limit is {limit}. Please shorten it.",
    },
    "zh": {
        "tagline": "每一句回答都注明它出自哪一个编号段落",
        "empty_none": "还没有文件。请先在“文件”标签页中添加文件，再就它们提问。",
        "empty_some": "可以用中文或英文就文件库中的 {n} 个文件提问。答案的每一句都注明出处段落。",
        "try": "试试：",
        "scope_all": "检索全部 {n} 个文件",
        "scope_none": "还没有文件",
        "scope_some": "只检索：{names}",
        "panel_empty": "点击答案中的 ¶ 标记，可在此查看整段原文，引文部分会高亮显示。",
        "close": "返回答案",
        "library_empty": "文件库是空的。",
        "col_document": "文件",
        "col_title": "标题",
        "feedback_help": "每一次点赞或点踩都会连同问题、回答及其引用一起保存。可导出为评测问题（JSONL）：点赞的回答，"
                         "其引用成为标准段落；点踩的回答等待人工标注。",
        "gone_answer": "这条回答已不在对话中。",
        "unreadable_citation": "无法读取这处引用。",
        "gone_paragraph": "{doc} ¶{n} 已不在文件库中（文件已被删除或替换）。",
        "gone_rated": "这条回答已不在这里。",
        "comment_on": "对第 {n} 条回答的{thumb}写几句意见（可选）",
        "thumbs_up": "点赞",
        "thumbs_down": "点踩",
        "rate_first": "请先为一条回答点赞或点踩。",
        "comment_saved": "意见已保存，谢谢。",
        "no_feedback": "还没有反馈：请先为回答点赞或点踩。",
        "exported": "已导出 {n} 条评价过的回答。",
        "choose_delete": "请选择要删除的文件。",
        "deleted": "已删除 {doc}。",
        "nothing_added": "没有添加或替换任何文件。",
        "confirm_replace": "用上传的文件替换 {listing}？已存的段落无法恢复；之前回答中对它们的引用将打开新的文本。",
        "confirm_delete": "删除 {listing}？此操作无法撤销；之前回答中对它的引用将无法再打开段落。",
        "paragraphs": "{n} 个段落",
        "added": "已添加 {doc}“{title}”，{n} 个段落。",
        "replaced": "已替换 {doc}“{title}”，{n} 个段落。",
        "unchanged": "已在文件库中：{doc}“{title}”，{n} 个段落。",
        "warning": "注意：{text}",
        "add_failed": "添加文件时出错；详情见服务器日志。",
        "answer_failed": "回答时出错；详情见服务器日志。",
        "or_endpoint": "或者在“设置”中填写接口地址。",
        "empty_question": "问题是空的。",
        "long_question": "问题有 {n} 个字符，上限是 {limit} 个，请缩短后再问。",
    },
}


def page_text(language: str, key: str, **values: Any) -> str:
    values.setdefault("s", "s" if values.get("n", 1) != 1 else "")
    return PAGE_TEXT.get(language, PAGE_TEXT["en"])[key].format(**values)


# What the conversation says around an answer, in the language of the question it answers: a
# Chinese question's turn reads in Chinese throughout, whatever the browser's language.
TURN_TEXT = {
    "en": {
        "searching": "Searching the documents…",
        "reading": "Reading {n} paragraph{s}…",
        "local_model": " The local model takes about a minute on a CPU.",
        "writing": "Writing…",
        "checking": "Checking the citations…",
        "standalone": "Searched as a standalone question",
        "retrieved": "{n} retrieved paragraph{s}",
        "scores": "score {score} · similarity {similarity}",
        "good": "Good answer",
        "bad": "Bad answer",
        "thanks": "Thanks for the feedback",
        "removed": "The verifier removed {counts} from the draft before showing it:",
        "sentences": "{n} sentence{s}",
        "citations": "{n} citation{s}",
        "and": " and ",
        "fallback": "The {generator} generator’s answer was not used ({why}); these are quotes from the paragraphs.",
        "cited_for": "Cited for",
        "quote_marked": "The highlighted words are the quote that supports the sentence.",
        "retrieved_only": "Retrieved for this question.",
        "translating": "Translating the quotes…",
        "machine_translation": "Machine translation",
        "no_rendering": "No verified translation",
        "rendering_of_quote": "Machine translation of the highlighted quote",
        "rendering_of_sentence": "Machine translation of the sentence",
    },
    "zh": {
        "searching": "正在检索文件…",
        "reading": "正在阅读 {n} 个段落…",
        "local_model": "本地模型在 CPU 上大约需要一分钟。",
        "writing": "正在撰写…",
        "checking": "正在核对引用…",
        "standalone": "作为独立问题检索的内容",
        "retrieved": "检索到的 {n} 个段落",
        "scores": "得分 {score} · 相似度 {similarity}",
        "good": "回答得好",
        "bad": "回答得不好",
        "thanks": "感谢反馈",
        "removed": "核查在显示前从草稿中删去了{counts}：",
        "sentences": " {n} 个句子",
        "citations": " {n} 处引用",
        "and": "和",
        "fallback": "{generator} 生成器的回答未被采用（{why}）；以下是段落原文的引文。",
        "cited_for": "引用于",
        "quote_marked": "高亮部分是支持该句的引文。",
        "retrieved_only": "为此问题检索到的段落。",
        "translating": "正在翻译引文…",
        "machine_translation": "机器翻译",
        "no_rendering": "没有通过核实的译文",
        "rendering_of_quote": "高亮引文的机器翻译",
        "rendering_of_sentence": "该句的机器翻译",
    },
}


def turn_text(language: str, key: str, **values: Any) -> str:
    values.setdefault("s", "s" if values.get("n", 1) != 1 else "")
    return TURN_TEXT.get(language, TURN_TEXT["en"])[key].format(**values)
