"""The hybrid recommender: EASE, BM25 item-item and content neighbours, evaluated offline."""

from etl_job.recommender.blend import Blend
from etl_job.recommender.evaluate import BlendDominated, EvaluationReport, ModelScore, evaluate
from etl_job.recommender.train import NEIGHBOURS_SCHEMA, train

__all__ = ["NEIGHBOURS_SCHEMA", "Blend", "BlendDominated", "EvaluationReport", "ModelScore",
           "evaluate", "train"]
