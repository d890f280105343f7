"""Paracite's retriever as a LangChain `BaseRetriever`, for users' own chains.

    from assistant import services
    from assistant.settings import Settings
    from vectorstore.langchain import ParagraphRetriever

    retriever = ParagraphRetriever(retriever=services.retriever(Settings()), k=5)
    for doc in retriever.invoke("扎波罗热核电厂"):
        print(doc.metadata["doc"], doc.metadata["paragraph"], doc.page_content[:40])
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .search import Retriever


class ParagraphRetriever(BaseRetriever):
    """Returns one LangChain Document per paragraph; metadata carries doc, paragraph and scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a vectorstore.search.Retriever (Any: pydantic cannot validate the class)
    k: int = 5
    doc_ids: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        searcher: Retriever = self.retriever
        return [
            Document(
                page_content=result.text,
                metadata={
                    "doc": result.doc,
                    "paragraph": result.paragraph,
                    "title": result.title,
                    "score": result.score,
                    "similarity": result.similarity,
                    "named": result.named,
                    "lexical": result.lexical,
                },
            )
            for result in searcher.search(query, k=self.k, doc_ids=self.doc_ids)
        ]
