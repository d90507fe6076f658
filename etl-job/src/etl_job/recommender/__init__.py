"""The hybrid recommender: content + collaborative neighbours, trained and evaluated offline."""

from etl_job.recommender.evaluate import BlendDominated, EvaluationReport, ModelScore, evaluate
from etl_job.recommender.train import NEIGHBOURS_SCHEMA, train

__all__ = ["NEIGHBOURS_SCHEMA", "BlendDominated", "EvaluationReport", "ModelScore", "evaluate",
           "train"]
