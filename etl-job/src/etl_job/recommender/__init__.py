"""The hybrid recommender: EASE, BM25 item-item and content neighbours, evaluated offline."""

from etl_job.recommender.blend import Blend
from etl_job.recommender.evaluate import BlendDominated, EvaluationReport, ModelScore, evaluate
from etl_job.recommender.movies import NEIGHBOURS_SCHEMA
from etl_job.recommender.train import train

__all__ = [
    "NEIGHBOURS_SCHEMA",
    "Blend",
    "BlendDominated",
    "EvaluationReport",
    "ModelScore",
    "evaluate",
    "train",
]
