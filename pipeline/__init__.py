
from pipeline import portable

portable.pin()  # before NumPy or TensorFlow load: see pipeline/portable.py
