"""Content features: weighted TF-IDF over genres, description, director, cast and country."""

from dataclasses import dataclass

import numpy as np
import polars as pl
from contracts.genres import GENRE_FILLER, WORD, stem_word
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# Each field's weight in the cosine: the story carries most; genres are broad (thousands of
# films are just "dramas"); a shared name is strong but rare; the country only breaks ties.
FIELD_WEIGHTS: dict[str, float] = {
    "genres": 0.3,
    "description": 1.0,
    "director": 0.5,
    "cast": 0.5,
    "country": 0.1,
}


def name_lists(values: pl.Series, *, lower: bool = True) -> pl.Series:
    """Comma-separated names as lists of stripped, non-empty (lowercase) names."""
    text = values.cast(pl.String).fill_null("")
    return (
        (text.str.to_lowercase() if lower else text)
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def genre_word_lists(values: pl.Series) -> pl.Series:
    """Word tokens of the genre names per movie: filler words dropped, plurals folded."""
    words = values.cast(pl.String).fill_null("").str.to_lowercase().str.extract_all(WORD.pattern)
    vocabulary = words.explode().drop_nulls().unique().to_list()
    stems = {w: stem_word(w) for w in vocabulary if w not in GENRE_FILLER}
    return words.list.eval(
        pl.element().replace_strict(stems, default=None, return_dtype=pl.String).drop_nulls()
    )


@dataclass(frozen=True)
class ContentFeatures:
    """Row-normalised content matrix (one row per movie), its description part and its words."""

    matrix: sparse.csr_matrix
    description: sparse.csr_matrix
    description_terms: list[str]


def _field_matrix(tokens: list[list[str]]) -> sparse.csr_matrix:
    vectorizer = TfidfVectorizer(analyzer=list, sublinear_tf=True, dtype=np.float32)
    if not any(tokens):
        return sparse.csr_matrix((len(tokens), 0), dtype=np.float32)
    return vectorizer.fit_transform(tokens).tocsr()


def build_content_features(*, movies: pl.DataFrame) -> ContentFeatures:
    """TF-IDF per field, each L2-normalised, weighted, stacked and L2-normalised again."""
    descriptions = [v or "" for v in movies["description"].to_list()]
    # Words in more than 5% of descriptions ("life", "young") say little (at least 2 kept).
    max_df = max(int(0.05 * len(descriptions)), 2)
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, max_df=max_df, dtype=np.float32
    )
    try:
        description = vectorizer.fit_transform(descriptions).tocsr()
        terms = vectorizer.get_feature_names_out().tolist()
    except ValueError:  # every description empty or only stop words
        description, terms = sparse.csr_matrix((len(descriptions), 0), dtype=np.float32), []
    blocks = {
        "genres": _field_matrix(genre_word_lists(movies["listed_in"]).to_list()),
        "description": description,
    }
    for field in ("director", "cast", "country"):
        blocks[field] = _field_matrix(name_lists(movies[field]).to_list())
    # sqrt(weight) per block makes the dot product of two rows the weighted sum of field cosines.
    stacked = sparse.hstack(
        [blocks[name] * np.float32(np.sqrt(weight)) for name, weight in FIELD_WEIGHTS.items()],
        format="csr",
        dtype=np.float32,
    )
    return ContentFeatures(
        matrix=normalize(stacked, norm="l2", copy=False),
        description=description,
        description_terms=terms,
    )
