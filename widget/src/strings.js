// The widget's own words in each language it speaks (data-lang="zh" | "en").

export const STRINGS = {
  en: {
    title: "Ask the documents",
    open: "Open the assistant",
    close: "Close the assistant",
    newConversation: "New conversation",
    placeholder: "Ask a question…",
    send: "Send",
    you: "You",
    assistant: "Assistant",
    thinking: "Searching the documents…",
    back: "Back to the conversation",
    paragraphLabel: (title, n) => `${title}, paragraph ${n}`,
    paragraphTitle: (n) => `Paragraph ${n}`,
    loading: "Loading the paragraph…",
    removed: (n) => (n === 1 ? "1 statement was left out: no paragraph supports it." : `${n} statements were left out: no paragraph supports them.`),
    removedCitations: (n) => (n === 1 ? "1 citation was removed: its paragraph does not support the sentence." : `${n} citations were removed: their paragraphs do not support the sentences.`),
    fallback: "The writer's answer could not be used; these are quotes from the paragraphs.",
    notAllowed: "This site is not allowed to use this assistant. (Its owner must add this page's origin to the site's allowed origins.)",
    unreachable: "The assistant cannot be reached right now. Please try again later.",
    rateLimited: (s) => `Too many questions: please try again in ${s} s.`,
    interrupted: "The answer was interrupted. Please ask again.",
    tooLong: (n, max) => `The question is ${n} characters long; the limit is ${max}. Please shorten it.`,
    failed: "Something went wrong while answering.",
    sourcesNote: "Every sentence cites the paragraph it comes from: select ¶ to read it.",
    greeting: (titles) => `Hello! Ask a question about ${nameable(titles) ? named(titles, (t) => `“${t}”`, ", ", " and ") : titles.length > 1 ? `the ${titles.length} documents` : "the documents"}: every answer cites the paragraph it comes from.`,
    examplesLabel: "Example questions",
    machineTranslation: "Machine translation",
    noTranslation: "No verified translation",
  },
  zh: {
    title: "文档问答",
    open: "打开问答助手",
    close: "关闭问答助手",
    newConversation: "新对话",
    placeholder: "请输入问题…",
    send: "发送",
    you: "你",
    assistant: "助手",
    thinking: "正在检索文件…",
    back: "返回对话",
    paragraphLabel: (title, n) => `${title} 第${n}段`,
    paragraphTitle: (n) => `第${n}段`,
    loading: "正在加载段落…",
    removed: (n) => `有${n}句话因没有段落支持而被删去。`,
    removedCitations: (n) => `有${n}处引用因段落不支持该句而被删去。`,
    fallback: "未能采用生成的回答，以下是段落原文的摘录。",
    notAllowed: "本网站未获准使用此问答助手。（网站所有者需要把本页面的来源加入该站点允许的来源。）",
    unreachable: "暂时无法连接问答助手，请稍后再试。",
    rateLimited: (s) => `提问太频繁，请在 ${s} 秒后再试。`,
    interrupted: "回答被中断了，请重新提问。",
    tooLong: (n, max) => `问题有 ${n} 个字符，上限是 ${max} 个，请缩短后再问。`,
    failed: "回答时出错了。",
    sourcesNote: "每句话都注明了出处段落：点击 ¶ 查看原文。",
    greeting: (titles) => `您好！请就${nameable(titles) ? named(titles, (t) => `《${t}》`, "、", "和") : titles.length > 1 ? `这 ${titles.length} 个文件` : "文件"}提问：每个回答都注明出处段落。`,
    examplesLabel: "示例问题",
    machineTranslation: "机器翻译",
    noTranslation: "没有通过核实的译文",
  },
};

// The greeting names the documents when there are a few with short titles (a title made of a
// document's opening words would drown it), and counts them otherwise.
const NAMED_TITLES = 3;
const TITLE_CHARS = 24;

function nameable(titles) {
  return titles.length > 0 && titles.length <= NAMED_TITLES && titles.every((t) => [...t].length <= TITLE_CHARS);
}

function named(titles, quote, comma, and) {
  const shown = titles.map(quote);
  return shown.length > 1 ? `${shown.slice(0, -1).join(comma)}${and}${shown[shown.length - 1]}` : shown[0];
}

export function pickLanguage(requested) {
  const lang = (requested || document.documentElement.lang || navigator.language || "en").toLowerCase();
  return lang.startsWith("zh") ? "zh" : "en";
}
