"""The reference a user would otherwise pick: FastAPI + uvicorn serving a scikit-learn
pipeline (one-hot + scaling + logistic regression) trained on data/sample/leads.csv, one lead
per request. benches/serve_load.sh starts it with uvicorn (one worker) and loads it the same
way as leadcast."""
import os

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL = ["source", "industry", "company_size", "region", "persona", "owner_id", "product_interest"]
NUMERIC = ["email_opens", "web_visits", "calls", "meetings"]

root = os.environ.get("LEADCAST_ROOT", os.path.join(os.path.dirname(__file__), ".."))
df = pd.read_csv(os.path.join(root, "data/sample/leads.csv"))
pipe = Pipeline([
    ("prep", ColumnTransformer([
        ("cat", Pipeline([("imp", SimpleImputer(strategy="constant", fill_value="(missing)")),
                          ("oh", OneHotEncoder(handle_unknown="ignore"))]), CATEGORICAL),
        ("num", Pipeline([("imp", SimpleImputer(strategy="median")), ("sc", StandardScaler())]), NUMERIC),
    ])),
    ("lr", LogisticRegression(max_iter=1000)),
])
pipe.fit(df[CATEGORICAL + NUMERIC], df["converted"].astype(int))
app = FastAPI()


@app.post("/v1/leads/score")
async def score(request: Request):
    body = await request.json()
    leads = body.get("leads") or [body.get("lead")]
    frame = pd.DataFrame([{c: l.get(c, np.nan) for c in CATEGORICAL + NUMERIC} for l in leads])
    p = pipe.predict_proba(frame)[:, 1]
    return {"results": [{"lead_id": l.get("lead_id"), "probability": float(x), "score": int(round(100 * x))}
                        for l, x in zip(leads, p)]}
