import unittest
from stats import median

class H(unittest.TestCase):
    def test_more(self):
        self.assertEqual(median([5]), 5)
        self.assertEqual(median([1, 2]), 1.5)
        self.assertEqual(median([10, -10, 0, 7, 7, 3]), 5.0)
        self.assertEqual(median((9, 8, 7)), 8)
