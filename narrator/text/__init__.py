"""Text handling between a source's paragraphs and the requests: what is spoken, and how it is cut.

paragraphs  plain text -> paragraphs; decoration lines (scene breaks)
sentences   paragraph -> sentence spans (pysbd per bounded window, with a fallback)
segmenter   paragraphs -> segments under the per-request duration budget
lexicon     the job's find/replace rules
boundary    what follows a segment (sentence, paragraph, scene, chapter)
"""
