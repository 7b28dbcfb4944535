from .median import median
