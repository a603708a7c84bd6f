package predict

// ExampleBody is the original system's README example of a POST /predict
// body: the 39 features, unscaled. It is inconsistent (two zones set at
// once), as clients send it; a service must score it, not judge it. Tests of
// every service and the load-test script use this one body.
const ExampleBody = `{"Period": 1, "Minutes_Remaining": 10, "Seconds_Remaining": 30, "Shot_Distance": 15, "X_Location": 5,
 "Y_Location": 10, "Action_Type_Frequency": 0.2, "Team_Name_Frequency": 0.5, "Home_Team_Frequency": 0.4,
 "Away_Team_Frequency": 0.6, "ShotType_2PT_Field_Goal": 1, "ShotType_3PT_Field_Goal": 0,
 "ShotZoneBasic_Above_the_Break_3": 1, "ShotZoneBasic_Backcourt": 0, "ShotZoneBasic_In_The_Paint_Non_RA": 0,
 "ShotZoneBasic_Left_Corner_3": 0, "ShotZoneBasic_Mid_Range": 1, "ShotZoneBasic_Restricted_Area": 0,
 "ShotZoneBasic_Right_Corner_3": 0, "ShotZoneArea_Back_Court_BC": 0, "ShotZoneArea_Center_C": 1,
 "ShotZoneArea_Left_Side_Center_LC": 0, "ShotZoneArea_Left_Side_L": 0, "ShotZoneArea_Right_Side_Center_RC": 1,
 "ShotZoneArea_Right_Side_R": 0, "ShotZoneRange_16_24_ft": 1, "ShotZoneRange_24_ft": 0,
 "ShotZoneRange_8_16_ft": 0, "ShotZoneRange_Back_Court_Shot": 0, "ShotZoneRange_Less_Than_8_ft": 1,
 "SeasonType_Playoffs": 1, "SeasonType_Regular_Season": 0, "Game_ID_Frequency": 0.8,
 "Game_Event_ID_Frequency": 0.7, "Player_ID_Frequency": 0.9, "Year": 2022, "Month": 6, "Day": 11,
 "Day_of_Week": 5}`
