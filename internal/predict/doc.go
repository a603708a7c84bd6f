// Package predict is the wire contract of the prediction service
// (predictd), shared by its server and its clients (apid, infer):
//   - Features, the one type of the original system's 39 features: the body
//     of POST /predict, a row of the V2 tensor and the model's seed input,
//     with its JSON built from nba.FeatureNames and its ranges;
//   - ShotRequest, the body of POST /predict/shot (a raw shot in the Kaggle
//     schema's snake_case names), and its one validation and derivation,
//     ShotRequest.Shot;
//   - the body of POST /predict/record: the shot that Shot completed, which
//     apid forwards so that predictd does not validate the request again;
//   - the strict decoders (FastAPI-style validation errors), the responses,
//     and Client.
//
// Both sides decode requests with the same code, so a body apid accepts is a
// body predictd accepts.
package predict
