"""Paragraph ingestion, embedding, storage and search for Paracite.

This package knows nothing of questions or answers: it turns documents into their own
numbered paragraphs, embeds them, keeps them in Chroma, and finds them again.
"""
